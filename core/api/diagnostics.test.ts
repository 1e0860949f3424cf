import { describe, expect, it } from 'vitest';
import {
  type DoctorReport,
  doctorReportSchema,
  type FindingCode,
  fillFindingText,
  findingText,
  findingTexts,
} from './diagnostics.js';

const codes = Object.entries(findingTexts).flatMap(([group, kinds]) =>
  Object.keys(kinds).map((name) => `${group}.${name}` as FindingCode),
);

const report: DoctorReport = {
  format: 1,
  createdAt: '2026-12-01T10:00:00.000Z',
  durationMs: 12,
  home: '/home/ops/.config/Signet',
  platform: { os: 'linux', arch: 'x64', node: '20.19.0' },
  summary: { ok: 1, warn: 0, fail: 1 },
  findings: [
    {
      area: 'modules',
      status: 'ok',
      code: 'module.loaded',
      what: 'softhsm2 loads.',
      facts: { path: '/usr/lib/softhsm/libsofthsm2.so', dev: false, slot: 3, head: null },
    },
    {
      area: 'tokens',
      status: 'fail',
      code: 'token.userPinLocked',
      what: 'The user PIN of “A” is locked: its keys cannot sign.',
      fix: 'Unblock it.',
      facts: { label: 'A' },
    },
  ],
};

describe('the diagnostics contract', () => {
  it('has one sentence per kind of finding, each a sentence, each fix one sentence too', () => {
    expect(codes.length).toBeGreaterThan(40);
    for (const code of codes) {
      const { what, fix } = findingText(code);
      expect(what, code).toMatch(/^[^\s].*[.:)]$/);
      // "One sentence": no full stop before the last one (paths, versions and
      // commands may hold dots, never ". " followed by a capital).
      if (fix) expect(fix, code).not.toMatch(/\. [A-Z]/);
      expect(code).toMatch(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/);
    }
  });

  it('fills {{facts}}, and leaves a fact it lacks visible instead of inventing one', () => {
    expect(
      fillFindingText('Node {{url}} at {{head}} ({{dev}}, {{none}})', {
        url: 'http://n',
        head: 7,
        dev: false,
        none: null,
      }),
    ).toBe('Node http://n at 7 (false, null)');
    expect(fillFindingText('{{missing}} and {{constructor}}', {})).toBe(
      '{{missing}} and {{constructor}}',
    );
  });

  it('accepts a report and refuses one that breaks the shape', () => {
    expect(doctorReportSchema.parse(report)).toEqual(report);
    const bad: unknown[] = [
      { ...report, format: 2 },
      { ...report, extra: true },
      { ...report, summary: { ok: 1, warn: 0 } },
      { ...report, findings: [{ ...report.findings[0], status: 'error' }] },
      { ...report, findings: [{ ...report.findings[0], area: 'kitchen' }] },
      { ...report, findings: [{ ...report.findings[0], code: 'Module Loaded' }] },
      { ...report, findings: [{ ...report.findings[0], facts: { nested: { a: 1 } } }] },
      { ...report, findings: [{ ...report.findings[0], pin: '1234' }] },
      { ...report, findings: [{ ...report.findings[1], fix: '' }] },
    ];
    for (const value of bad) expect(doctorReportSchema.safeParse(value).success).toBe(false);
  });
});
