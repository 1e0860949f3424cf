/**
 * Notes: the portfolio by maturity, and each note operation (issue, endorse,
 * split, finance, redeem) as form → review of exactly what the token signs →
 * PIN → result.
 */
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import type { ApiResult } from '../../../core/api/methods.js';
import type { NoteOperation } from '../../../core/api/notes.js';
import { call } from '../api.js';
import { NoteCurrency } from '../components/NoteCurrency.js';
import { Badge, Panel } from '../components/Panel.js';
import type { PinRequest } from '../components/PinDialog.js';
import {
  formatAmount,
  formatDay,
  formatNumber,
  formatUint,
  shortHex,
  sumAmounts,
} from '../format.js';
import { useQuery } from '../hooks.js';
import { signReviewed } from '../review.js';
import { NoteForm, type NotePreview, type NoteTask, taskTitle } from './notes/NoteForm.js';
import { NoteResult, NoteReview } from './notes/NoteReview.js';

type Note = ApiResult<'notes.list'>[number];
type Step =
  | { kind: 'portfolio' }
  | { kind: 'form'; task: NoteTask; error?: SerializedError }
  | {
      kind: 'review';
      task: NoteTask;
      operation: NoteOperation;
      preview: NotePreview;
      /** Why this review is shown again (it went stale: nothing was signed), and the one seen. */
      stale?: { error: SerializedError; before: NotePreview };
    }
  | { kind: 'done'; result: ApiResult<'notes.execute'> };

/** Notes grouped by maturity day, earliest first. */
function byMaturity(notes: readonly Note[]): [string, Note[]][] {
  const groups = new Map<string, Note[]>();
  for (const note of notes) {
    const group = groups.get(note.maturity);
    if (group) group.push(note);
    else groups.set(note.maturity, [note]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * "3 notes, total 500.00": only notes in the ledger's own currency count as
 * money; the others are counted apart and said to be left out.
 */
function groupTotal(t: TFunction, notes: readonly Note[], locale: string): string {
  const counted = notes.filter((n) => n.currencyKnown);
  const total = formatAmount(sumAmounts(counted.map((n) => n.value)), locale);
  const left = notes.length - counted.length;
  const n = formatNumber(notes.length, locale);
  return left === 0
    ? t('notes.groupTotal', { count: notes.length, n, total })
    : t('notes.groupTotalPartial', {
        count: notes.length,
        n,
        total,
        left: formatNumber(left, locale),
      });
}

export function Notes({
  refreshKey,
  askPin,
  onSigned,
}: {
  refreshKey: number;
  askPin(request: PinRequest): void;
  onSigned(): void;
}) {
  const { t } = useTranslation();
  const [step, setStep] = useState<Step>({ kind: 'portfolio' });
  const portfolio = () => setStep({ kind: 'portfolio' });

  return (
    <>
      <h1>{t('notes.title')}</h1>
      {step.kind === 'portfolio' ? (
        <Portfolio refreshKey={refreshKey} onTask={(task) => setStep({ kind: 'form', task })} />
      ) : step.kind === 'form' ? (
        <NoteForm
          task={step.task}
          error={step.error}
          onCancel={portfolio}
          onPreview={(operation, preview) =>
            setStep({ kind: 'review', task: step.task, operation, preview })
          }
        />
      ) : step.kind === 'review' ? (
        <NoteReview
          title={taskTitle(t, step.task)}
          preview={step.preview}
          stale={step.stale}
          onBack={() => setStep({ kind: 'form', task: step.task })}
          onSign={() =>
            askPin({
              title: t('notes.signTitle', { op: taskTitle(t, step.task) }),
              description: t('notes.reviewIntro'),
              // A Ledger account: no PIN, the device confirms (and shows these hashes).
              device: step.preview.deviceConfirm,
              // A P-256 holder's carrier on another token: its PIN is asked too.
              carrier: step.preview.transactions.find((tx) => tx.carried)?.carried?.carrierLogin,
              run: async (pin, carrierPin) => {
                const { preview } = step;
                // A finance offer signs the nonce the review showed; everything
                // else, only what has the digest the review showed.
                const operation =
                  step.operation.op === 'finance-offer' && preview.typedData
                    ? { ...step.operation, nonce: preview.typedData.message.nonce }
                    : step.operation;
                const outcome = await signReviewed(
                  () =>
                    call('notes.execute', {
                      operation,
                      pin,
                      ...(carrierPin ? { carrierPin } : {}),
                      reviewDigest: preview.reviewDigest,
                    }),
                  () => call('notes.preview', { operation: step.operation }),
                );
                if (outcome.kind === 'signed') {
                  setStep({ kind: 'done', result: outcome.result });
                  onSigned();
                } else if (outcome.kind === 'stale') {
                  setStep({
                    ...step,
                    preview: outcome.fresh,
                    stale: { error: outcome.stale, before: preview },
                  });
                } else setStep({ kind: 'form', task: step.task, error: outcome.problem });
              },
            })
          }
        />
      ) : (
        <NoteResult result={step.result} onDone={portfolio} />
      )}
    </>
  );
}

function Portfolio({ refreshKey, onTask }: { refreshKey: number; onTask(task: NoteTask): void }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const notes = useQuery('notes.list', {}, refreshKey);
  const accounts = useQuery('accounts.list', {}, refreshKey);
  const keyUri = (address: string) => accounts.data?.find((a) => a.address === address)?.keyUri;
  const today = new Date().toISOString().slice(0, 10);
  const groups = byMaturity(notes.data ?? []);

  return (
    <>
      <p className="muted">{t('notes.intro')}</p>
      <div className="row-actions start">
        <button type="button" onClick={() => onTask({ op: 'issue' })}>
          {t('notes.issueButton')}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => onTask({ op: 'finance-accept' })}
        >
          {t('notes.acceptButton')}
        </button>
      </div>
      {notes.loading || notes.error || groups.length === 0 ? (
        <Panel
          title={t('notes.title')}
          loading={notes.loading}
          error={notes.error}
          onRetry={notes.reload}
        >
          <p>{t('notes.none')}</p>
        </Panel>
      ) : (
        groups.map(([day, group]) => (
          <Panel
            key={day}
            title={t('notes.maturity', { date: formatDay(day, locale) })}
            actions={<span className="muted">{groupTotal(t, group, locale)}</span>}
          >
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('notes.tokenId')}</th>
                    <th scope="col">{t('notes.holder')}</th>
                    <th scope="col">{t('notes.acceptor')}</th>
                    <th scope="col" className="num">
                      {t('notes.value')}
                    </th>
                    <th scope="col">{t('notes.currency')}</th>
                    <th scope="col">{t('notes.status')}</th>
                    <th scope="col">{t('notes.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {group.map((note) => {
                    const uri = keyUri(note.holder);
                    // Notes move before maturity and are redeemed from it (the server checks
                    // against the ledger's clock; this only chooses which buttons to show).
                    const ops = (
                      note.maturity <= today ? ['redeem'] : ['endorse', 'split', 'finance-offer']
                    ) as Array<'endorse' | 'split' | 'redeem' | 'finance-offer'>;
                    return (
                      <tr key={note.tokenId} data-note={note.tokenId}>
                        <td>{formatUint(note.tokenId, locale)}</td>
                        <td className="mono" title={note.holder}>
                          {shortHex(note.holder)}
                        </td>
                        <td className="mono" title={note.acceptor}>
                          {shortHex(note.acceptor)}
                        </td>
                        <td className="num">{formatAmount(note.value, locale)}</td>
                        <td>
                          <NoteCurrency note={note} />
                        </td>
                        <td>
                          <Badge tone={note.status === 'dishonoured' ? 'bad' : 'ok'}>
                            {t(`notes.statusName.${note.status}`)}
                          </Badge>
                        </td>
                        <td className="row-buttons">
                          {uri && note.status !== 'redeemed'
                            ? ops.map((op) => (
                                <button
                                  key={op}
                                  type="button"
                                  className="secondary small"
                                  aria-label={t(`notes.op.${op}`, { id: note.tokenId })}
                                  onClick={() => onTask({ op, note, keyUri: uri })}
                                >
                                  {t(`notes.opShort.${op}`)}
                                </button>
                              ))
                            : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </Panel>
        ))
      )}
    </>
  );
}
