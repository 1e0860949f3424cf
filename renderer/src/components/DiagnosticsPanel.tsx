import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DoctorReport, Finding, FindingStatus } from '../../../core/api/diagnostics.js';
import type { SerializedError } from '../../../core/api/errors.js';
import { call, serialized } from '../api.js';
import { Badge, type BadgeTone, Panel } from './Panel.js';

const tones: Record<FindingStatus, BadgeTone> = { ok: 'ok', warn: 'warn', fail: 'bad' };

/**
 * The doctor (`signet doctor`) on the Devices screen: a button runs it, the
 * findings list below, each with its fix. Sentences come from the language's
 * strings by the finding's code, filled from its facts; a code the language
 * does not know yet shows the server's English.
 */
export function DiagnosticsPanel() {
  const { t } = useTranslation();
  const [running, setRunning] = useState(false);
  const [report, setReport] = useState<DoctorReport>();
  const [error, setError] = useState<SerializedError>();

  const run = () => {
    setRunning(true);
    setError(undefined);
    call('doctor.run', {}).then(
      (result) => {
        setReport(result);
        setRunning(false);
      },
      (caught: unknown) => {
        setError(serialized(caught));
        setRunning(false);
      },
    );
  };

  const text = (finding: Finding, part: 'what' | 'fix') =>
    t(`doctor.finding.${finding.code}.${part}`, {
      replace: finding.facts,
      defaultValue: finding[part] ?? '',
    });

  return (
    <Panel
      title={t('doctor.title')}
      loading={running}
      error={error}
      onRetry={run}
      actions={
        <button type="button" onClick={run} disabled={running}>
          {running ? t('doctor.running') : t('doctor.run')}
        </button>
      }
    >
      {report ? (
        <>
          <p className="small" role="status">
            {t('doctor.summary', report.summary)}
          </p>
          <ul className="findings" aria-label={t('doctor.list')}>
            {report.findings.map((finding, index) => (
              <li
                // The report is replaced whole: its order is the findings' identity.
                key={index}
                className={`finding finding-${finding.status}`}
                data-code={finding.code}
              >
                <div className="finding-head">
                  <Badge tone={tones[finding.status]}>{t(`doctor.status.${finding.status}`)}</Badge>
                  <span className="muted small">{t(`doctor.area.${finding.area}`)}</span>
                </div>
                <p className="finding-what">{text(finding, 'what')}</p>
                {finding.fix ? (
                  <p className="finding-fix">
                    <strong>{t('doctor.fix')}</strong>
                    {text(finding, 'fix')}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">{t('doctor.intro')}</p>
      )}
    </Panel>
  );
}
