/**
 * The doctor's findings in each language: English is the server's own text
 * (core/api/diagnostics.ts), every other language translates each kind of finding
 * with exactly the same {{facts}}, so no fact is lost or invented in translation,
 * and i18next renders a report's facts into them.
 */
import { createInstance } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { fillFindingText, findingTexts } from '../../../core/api/diagnostics.js';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

const placeholders = (text: string | undefined) =>
  [...(text ?? '').matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

type Texts = Record<string, Record<string, { what: string; fix?: string }>>;

const i18n = createInstance();
beforeAll(async () => {
  await i18n.init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    lng: 'en',
    interpolation: { escapeValue: false },
  });
});

describe('the doctor’s strings', () => {
  it('are the server’s own in English', () => {
    expect(en.doctor.finding).toBe(findingTexts);
  });

  it('translate every kind of finding into Chinese with the same facts', () => {
    const zh = zhCN.doctor.finding as Texts;
    for (const [group, kinds] of Object.entries(findingTexts as Texts)) {
      for (const [name, text] of Object.entries(kinds)) {
        const code = `${group}.${name}`;
        const translated = zh[group]?.[name];
        expect(translated, code).toBeDefined();
        expect(placeholders(translated?.what), code).toEqual(placeholders(text.what));
        expect(placeholders(translated?.fix), code).toEqual(placeholders(text.fix));
        expect(translated?.fix === undefined, code).toBe(text.fix === undefined);
        expect(translated?.what, code).toMatch(/\p{Script=Han}/u);
      }
    }
  });

  it('render a finding’s facts as the panel does, the server’s English where a code is unknown', () => {
    const facts = { label: 'Treasury', uri: 'pkcs11:token=Treasury', count: 3 };
    const t = (lng: string, code: string, fallback: string) =>
      i18n.t(`doctor.finding.${code}.what`, { lng, replace: facts, defaultValue: fallback });
    expect(t('en', 'token.userPinLocked', '')).toBe(
      fillFindingText(findingTexts.token.userPinLocked.what, facts),
    );
    expect(t('zh-CN', 'token.userPinLocked', '')).toBe(
      '令牌“Treasury”的用户 PIN 已锁定：其密钥无法签名。',
    );
    expect(t('zh-CN', 'hid.locked', 'The Ledger is locked.')).toBe('The Ledger is locked.');
  });
});
