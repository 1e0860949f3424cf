/**
 * The form of one note operation. What it builds is checked with the API
 * contract's own schema (core/api/notes.ts) before anything is sent, so the
 * form and the server agree on what is valid; then the server previews it.
 */

import type { TFunction } from 'i18next';
import { type FormEvent, type ReactNode, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import {
  financeOfferFileSchema,
  type NoteOperation,
  noteOperationSchema,
} from '../../../../core/api/notes.js';
import { call, serialized } from '../../api.js';
import { AccountOptions } from '../../components/AccountOptions.js';
import { ErrorMessage, Panel } from '../../components/Panel.js';
import { type CameraProblem, QrScanner } from '../../components/QrScanner.js';
import { useQuery } from '../../hooks.js';

export type NotePreview = ApiResult<'notes.preview'>;
type Note = ApiResult<'notes.list'>[number];

/** Which form: a new note, an offer to accept, or an operation on a note held. */
export type NoteTask =
  | { op: 'issue' | 'finance-accept' }
  | { op: 'endorse' | 'split' | 'redeem' | 'finance-offer'; note: Note; keyUri: string };

type Fields = Record<string, string>;

function initialFields(task: NoteTask): Fields {
  const inDays = (days: number) =>
    new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  switch (task.op) {
    case 'issue':
      return { from: '', payee: '', faceValue: '', maturity: inDays(90) };
    case 'finance-accept':
      return { from: '', offer: '' };
    case 'finance-offer':
      return { bank: '', value: task.note.value, price: '', deadline: inDays(7) };
    default:
      return { to: '', value: '' };
  }
}

/** The operation the fields describe, unchecked: the schema decides. */
function draftOperation(task: NoteTask, f: Fields): unknown {
  switch (task.op) {
    case 'issue':
      return {
        op: 'issue',
        from: f.from,
        payee: f.payee,
        faceValue: f.faceValue,
        maturity: f.maturity,
      };
    case 'finance-accept': {
      let offer: unknown = null;
      try {
        offer = JSON.parse(f.offer ?? '');
      } catch {
        // Left null: the schema reports the offer field.
      }
      return { op: 'finance-accept', from: f.from, offer };
    }
    default: {
      const base = { op: task.op, from: task.keyUri, tokenId: task.note.tokenId };
      if (task.op === 'endorse') return { ...base, to: f.to };
      if (task.op === 'split') return { ...base, to: f.to, value: f.value };
      if (task.op === 'finance-offer')
        return { ...base, bank: f.bank, value: f.value, price: f.price, deadline: f.deadline };
      return base;
    }
  }
}

/** The JSON of `text` when it is a Signet finance offer file, else undefined. */
function offerJson(text: string): unknown {
  try {
    const json: unknown = JSON.parse(text);
    return financeOfferFileSchema.safeParse(json).success ? json : undefined;
  } catch {
    return undefined;
  }
}

/** The fields each operation's schema reports problems under, and the sentence for each. */
const problemKey: Record<string, string> = {
  from: 'notes.invalid.account',
  payee: 'notes.invalid.address',
  to: 'notes.invalid.address',
  bank: 'notes.invalid.address',
  faceValue: 'notes.invalid.amount',
  value: 'notes.invalid.amount',
  price: 'notes.invalid.amount',
  maturity: 'notes.invalid.date',
  deadline: 'notes.invalid.date',
  offer: 'notes.invalid.offer',
};

export function taskTitle(t: TFunction, task: NoteTask | NoteOperation) {
  const id = 'note' in task ? task.note.tokenId : 'tokenId' in task ? task.tokenId : '';
  return t(`notes.op.${task.op}`, { id });
}

export function NoteForm({
  task,
  error: initialError,
  onPreview,
  onCancel,
}: {
  task: NoteTask;
  /** Why the form is back: the operation reviewed can no longer be made. */
  error?: SerializedError | undefined;
  onPreview(operation: NoteOperation, preview: NotePreview): void;
  onCancel(): void;
}) {
  const { t } = useTranslation();
  const accounts = useQuery('accounts.list', {});
  const [fields, setFields] = useState<Fields>(() => initialFields(task));
  const [problems, setProblems] = useState<Set<string>>(new Set());
  const [error, setError] = useState<SerializedError | undefined>(initialError);
  const [busy, setBusy] = useState(false);
  // The offer's QR code: the camera is on while `scanning`; one line says how it went.
  const [scanning, setScanning] = useState(false);
  const [scanNote, setScanNote] = useState<{ key: string; error: boolean }>();
  const formId = useId();

  const set = (name: string) => (value: string) => setFields((f) => ({ ...f, [name]: value }));
  const field = (name: string, label: string, input: Partial<InputProps> = {}) => (
    <Field
      key={name}
      id={`${formId}-${name}`}
      label={label}
      value={fields[name] ?? ''}
      onChange={set(name)}
      problem={problems.has(name) ? t(problemKey[name] ?? 'notes.invalid.amount') : undefined}
      {...input}
    />
  );
  const accountSelect = (label: string) => (
    <div className="field">
      <label htmlFor={`${formId}-from`}>{label}</label>
      <select
        id={`${formId}-from`}
        value={fields.from ?? ''}
        aria-invalid={problems.has('from') ? true : undefined}
        onChange={(e) => set('from')(e.target.value)}
      >
        <AccountOptions accounts={accounts.data} />
      </select>
      {problems.has('from') ? <p className="field-error">{t('notes.invalid.account')}</p> : null}
    </div>
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = noteOperationSchema.safeParse(draftOperation(task, fields));
    if (!parsed.success) {
      setProblems(new Set(parsed.error.issues.map((i) => String(i.path[0] ?? ''))));
      return;
    }
    setProblems(new Set());
    setBusy(true);
    setError(undefined);
    try {
      onPreview(parsed.data, await call('notes.preview', { operation: parsed.data }));
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const markOffer = (ok: boolean) =>
    setProblems((p) => {
      const next = new Set(p);
      if (ok) next.delete('offer');
      else next.add('offer');
      return next;
    });

  const readOfferFile = async (file: File | undefined) => {
    if (!file) return;
    const text = await file.text();
    set('offer')(text);
    markOffer(offerJson(text) !== undefined);
  };

  /**
   * A QR code read: an offer fills the field (laid out as its file is) and ends
   * the scan; anything else is said in one line and the scan goes on.
   */
  const scanned = (text: string) => {
    const offer = offerJson(text);
    if (offer === undefined) {
      setScanNote({ key: 'notes.invalid.offer', error: true });
      return;
    }
    set('offer')(`${JSON.stringify(offer, null, 2)}\n`);
    markOffer(true);
    setScanning(false);
    setScanNote({ key: 'notes.scan.done', error: false });
  };
  const cameraProblem = (problem: CameraProblem) => {
    setScanning(false);
    setScanNote({ key: `notes.scan.${problem}`, error: true });
  };

  let body: ReactNode;
  switch (task.op) {
    case 'issue':
      body = [
        accountSelect(t('notes.field.acceptorAccount')),
        field('payee', t('notes.field.payee'), { mono: true }),
        field('faceValue', t('notes.field.faceValue'), { inputMode: 'decimal' }),
        field('maturity', t('notes.field.maturity'), { type: 'date' }),
      ];
      break;
    case 'finance-accept':
      body = [
        accountSelect(t('notes.field.bankAccount')),
        <div className="field" key="offer">
          <label htmlFor={`${formId}-offer`}>{t('notes.field.offer')}</label>
          <textarea
            id={`${formId}-offer`}
            className="mono"
            rows={8}
            spellCheck={false}
            value={fields.offer ?? ''}
            aria-invalid={problems.has('offer') ? true : undefined}
            onChange={(e) => set('offer')(e.target.value)}
          />
          {problems.has('offer') ? <p className="field-error">{t('notes.invalid.offer')}</p> : null}
        </div>,
        <div className="field" key="offer-file">
          <label htmlFor={`${formId}-offer-file`}>{t('notes.field.offerFile')}</label>
          <input
            id={`${formId}-offer-file`}
            type="file"
            accept="application/json,.json"
            onChange={(e) => void readOfferFile(e.target.files?.[0])}
          />
        </div>,
        <div className="field" key="offer-scan">
          {scanning ? (
            <>
              <QrScanner
                label={t('notes.scan.camera')}
                onText={scanned}
                onProblem={cameraProblem}
              />
              <p className="muted small">{t('notes.scan.hint')}</p>
            </>
          ) : null}
          <div className="row-actions start">
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setScanNote(undefined);
                setScanning(!scanning);
              }}
            >
              {scanning ? t('notes.scan.cancel') : t('notes.scan.button')}
            </button>
          </div>
          {scanNote ? (
            <p
              className={scanNote.error ? 'field-error' : 'muted small'}
              role={scanNote.error ? 'alert' : 'status'}
            >
              {t(scanNote.key)}
            </p>
          ) : null}
        </div>,
      ];
      break;
    case 'endorse':
      body = field('to', t('notes.field.to'), { mono: true });
      break;
    case 'split':
      body = [
        field('to', t('notes.field.splitTo'), { mono: true }),
        field('value', t('notes.field.splitValue'), { inputMode: 'decimal' }),
      ];
      break;
    case 'finance-offer':
      body = [
        field('bank', t('notes.field.bank'), { mono: true }),
        field('value', t('notes.field.offerValue'), { inputMode: 'decimal' }),
        field('price', t('notes.field.price'), { inputMode: 'decimal' }),
        field('deadline', t('notes.field.deadline'), { type: 'date' }),
      ];
      break;
    case 'redeem':
      body = null;
      break;
  }

  return (
    <Panel title={taskTitle(t, task)} loading={accounts.loading} error={accounts.error}>
      <p className="muted">{t(`notes.opHint.${task.op}`)}</p>
      <form className="form" onSubmit={submit} noValidate aria-label={taskTitle(t, task)}>
        {body}
        {error ? <ErrorMessage error={error} /> : null}
        <div className="row-actions">
          <button type="button" className="secondary" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={busy}>
            {busy ? t('common.loading') : t('notes.review')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

interface InputProps {
  type: 'text' | 'date';
  inputMode: 'decimal';
  mono: boolean;
}

function Field({
  id,
  label,
  value,
  onChange,
  problem,
  type = 'text',
  inputMode,
  mono,
}: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  problem: string | undefined;
} & Partial<InputProps>) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        className={mono ? 'mono' : undefined}
        inputMode={inputMode}
        value={value}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => onChange(e.target.value.trim())}
      />
      {problem ? (
        <p id={`${id}-problem`} className="field-error">
          {problem}
        </p>
      ) : null}
    </div>
  );
}
