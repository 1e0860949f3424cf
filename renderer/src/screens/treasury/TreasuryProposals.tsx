/**
 * The treasury's other proposals, beside the payment and the CSV batch: a note
 * operation (issue; endorse, split or redeem one of the notes the treasury
 * holds; finance a holder's signed offer), an owner or threshold change, and a
 * cancel at a nonce (a call that does nothing, replacing whatever else waits
 * there). Each is checked by the contract's own schema before it is sent, and
 * opens in the bundle workspace unsigned: approving follows its review there.
 */
import { cloneElement, type FormEvent, type ReactElement, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { noteRowSchema } from '../../../../core/api/chain.js';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiRequest } from '../../../../core/api/methods.js';
import { treasuryNoteOperationSchema, treasuryRequests } from '../../../../core/api/treasury.js';
import { call, serialized } from '../../api.js';
import { Panel } from '../../components/Panel.js';
import { formatAmount, formatDay, formatUint } from '../../format.js';
import type { LoadedBundle } from './BundleWorkspace.js';
import { Refusal } from './Refusal.js';

type NoteRow = z.infer<typeof noteRowSchema>;
type NoteOp = ApiRequest<'treasury.proposeNote'>['operation']['op'];
type OwnersKind = ApiRequest<'treasury.proposeOwners'>['change']['kind'];

const NOTE_OPS: NoteOp[] = ['issue', 'endorse', 'split', 'redeem', 'finance-accept'];
const OWNER_CHANGES: OwnersKind[] = ['add', 'remove', 'swap', 'threshold'];

/** The sentence for a field the schema refused, by the field's name. */
const PROBLEM: Record<string, string> = {
  payee: 'notes.invalid.address',
  to: 'notes.invalid.address',
  owner: 'notes.invalid.address',
  old: 'notes.invalid.address',
  new: 'notes.invalid.address',
  faceValue: 'notes.invalid.amount',
  value: 'notes.invalid.amount',
  maturity: 'notes.invalid.date',
  tokenId: 'treasury.proposals.invalidNote',
  offer: 'notes.invalid.offer',
  threshold: 'treasury.proposals.invalidThreshold',
  nonce: 'treasury.proposals.invalidNonce',
};

/** The fields a zod parse refused, by their first path segment under the request. */
function refusedFields(issues: z.ZodIssue[], under: string): Set<string> {
  return new Set(
    issues.map((issue) => {
      const path = issue.path[0] === under ? issue.path.slice(1) : issue.path;
      return String(path[0] ?? under);
    }),
  );
}

/** Sends one proposal request; the form shows its refusal in one line. */
function useSubmit(onBundle: (loaded: LoadedBundle) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SerializedError>();
  const submit = async (work: () => Promise<LoadedBundle>) => {
    if (busy) return;
    setBusy(true);
    setError(undefined);
    try {
      onBundle(await work());
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

function Field({
  id,
  label,
  problem,
  children,
}: {
  id: string;
  label: string;
  problem: string | undefined;
  children: ReactElement<{ 'aria-describedby'?: string; 'aria-invalid'?: boolean }>;
}) {
  // The control says it is refused, and why, to a screen reader too.
  const control = problem
    ? cloneElement(children, { 'aria-describedby': `${id}-problem`, 'aria-invalid': true })
    : children;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {control}
      {problem ? (
        <p className="field-error" id={`${id}-problem`}>
          {problem}
        </p>
      ) : null}
    </div>
  );
}

/** The description every proposal carries, shown to every approver. */
function DescriptionField({ value, onChange }: { value: string; onChange(v: string): void }) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{t('treasury.propose.description')}</label>
      <input
        id={id}
        value={value}
        maxLength={2000}
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}

const described = (description: string) =>
  description.trim() ? { description: description.trim() } : {};

export function NoteProposalForm({
  treasury,
  offline,
  notes,
  onBundle,
}: {
  treasury: string;
  offline: boolean;
  /** The notes the treasury holds, as the last sync saw them. */
  notes: NoteRow[];
  onBundle(loaded: LoadedBundle): void;
}) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  const [op, setOp] = useState<NoteOp>('issue');
  const [fields, setFields] = useState({ to: '', amount: '', maturity: '', tokenId: '' });
  const [offer, setOffer] = useState<unknown>(null);
  const [description, setDescription] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, submit } = useSubmit(onBundle);
  const ids = {
    op: useId(),
    to: useId(),
    amount: useId(),
    maturity: useId(),
    note: useId(),
    offer: useId(),
  };
  const active = notes.filter((n) => n.status === 'active');
  const tokenId = active.some((n) => n.tokenId === fields.tokenId)
    ? fields.tokenId
    : (active[0]?.tokenId ?? '');
  const set = (name: keyof typeof fields) => (value: string) =>
    setFields({ ...fields, [name]: value });

  const operation = (() => {
    switch (op) {
      case 'issue':
        return { op, payee: fields.to, faceValue: fields.amount, maturity: fields.maturity };
      case 'endorse':
        return { op, tokenId, to: fields.to };
      case 'split':
        return { op, tokenId, to: fields.to, value: fields.amount };
      case 'redeem':
        return { op, tokenId };
      case 'finance-accept':
        return { op, offer };
    }
  })();
  const parsed = treasuryNoteOperationSchema.safeParse(operation);
  const refused = parsed.success ? new Set<string>() : refusedFields(parsed.error.issues, '');
  const problem = (field: string) =>
    touched && refused.has(field) ? t(PROBLEM[field] ?? 'notes.invalid.address') : undefined;
  const needsNote = op === 'endorse' || op === 'split' || op === 'redeem';

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!parsed.success) return;
    void submit(() =>
      call('treasury.proposeNote', {
        treasury,
        operation: parsed.data,
        ...described(description),
        offline,
      }),
    );
  };

  const title = t('treasury.proposals.noteTitle');
  return (
    <Panel title={title}>
      <form className="form" onSubmit={onSubmit} noValidate aria-label={title}>
        <div className="field">
          <label htmlFor={ids.op}>{t('treasury.noteOp.op')}</label>
          <select
            id={ids.op}
            value={op}
            onChange={(e) => {
              setOp(e.target.value as NoteOp);
              setTouched(false);
            }}
          >
            {NOTE_OPS.map((name) => (
              <option key={name} value={name}>
                {t(`treasury.noteOp.ops.${name}`)}
              </option>
            ))}
          </select>
        </div>
        {needsNote ? (
          active.length === 0 ? (
            <p className="muted" data-no-notes="">
              {t('treasury.proposals.noNotes')}
            </p>
          ) : (
            <Field id={ids.note} label={t('treasury.proposals.note')} problem={problem('tokenId')}>
              <select
                id={ids.note}
                value={tokenId}
                onChange={(e) => set('tokenId')(e.target.value)}
              >
                {active.map((note) => (
                  <option key={note.tokenId} value={note.tokenId}>
                    {t('treasury.note', {
                      id: formatUint(note.tokenId, locale),
                      value: formatAmount(note.value, locale),
                      maturity: formatDay(note.maturity, locale),
                    })}
                  </option>
                ))}
              </select>
            </Field>
          )
        ) : null}
        {op === 'issue' || op === 'endorse' || op === 'split' ? (
          <Field
            id={ids.to}
            label={t(
              op === 'issue'
                ? 'treasury.noteOp.payee'
                : op === 'endorse'
                  ? 'treasury.noteOp.newHolder'
                  : 'treasury.noteOp.recipient',
            )}
            problem={problem(op === 'issue' ? 'payee' : 'to')}
          >
            <input
              id={ids.to}
              className="mono"
              value={fields.to}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => set('to')(e.target.value.trim())}
            />
          </Field>
        ) : null}
        {op === 'issue' || op === 'split' ? (
          <Field
            id={ids.amount}
            label={t(op === 'issue' ? 'treasury.noteOp.faceValue' : 'treasury.noteOp.value')}
            problem={problem(op === 'issue' ? 'faceValue' : 'value')}
          >
            <input
              id={ids.amount}
              inputMode="decimal"
              value={fields.amount}
              autoComplete="off"
              onChange={(e) => set('amount')(e.target.value.trim())}
            />
          </Field>
        ) : null}
        {op === 'issue' ? (
          <Field
            id={ids.maturity}
            label={t('treasury.noteOp.maturity')}
            problem={problem('maturity')}
          >
            <input
              id={ids.maturity}
              type="date"
              value={fields.maturity}
              onChange={(e) => set('maturity')(e.target.value)}
            />
          </Field>
        ) : null}
        {op === 'finance-accept' ? (
          <Field
            id={ids.offer}
            label={t('treasury.proposals.offerFile')}
            problem={problem('offer')}
          >
            <input
              id={ids.offer}
              type="file"
              accept=".json,.signet-offer,application/json"
              onChange={async (e) => {
                const file = e.target.files?.[0];
                let json: unknown = null;
                try {
                  json = file ? JSON.parse(await file.text()) : null;
                } catch {
                  // Left null: the schema refuses it, and the field says so.
                }
                setOffer(json);
                setTouched(file !== undefined);
              }}
            />
          </Field>
        ) : null}
        <DescriptionField value={description} onChange={setDescription} />
        <Refusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy || (needsNote && active.length === 0)}>
            {busy ? t('common.loading') : t('treasury.propose.submit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

const ownersChangeSchema = treasuryRequests['treasury.proposeOwners'].shape.change;

export function OwnersProposalForm({
  treasury,
  offline,
  owners,
  threshold,
  onBundle,
}: {
  treasury: string;
  offline: boolean;
  /** The owners now (the chain's when read, else the stored ones). */
  owners: string[];
  threshold: number;
  onBundle(loaded: LoadedBundle): void;
}) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<OwnersKind>('add');
  const [owner, setOwner] = useState('');
  const [picked, setPicked] = useState('');
  const [newThreshold, setNewThreshold] = useState('');
  const [description, setDescription] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, submit } = useSubmit(onBundle);
  const ids = { kind: useId(), owner: useId(), picked: useId(), threshold: useId() };
  const current = owners.includes(picked) ? picked : (owners[0] ?? '');
  const thresholdValue = newThreshold.trim() === '' ? undefined : Number(newThreshold);

  const change = (() => {
    switch (kind) {
      case 'add':
        return {
          kind,
          owner,
          ...(thresholdValue === undefined ? {} : { threshold: thresholdValue }),
        };
      case 'remove':
        return {
          kind,
          owner: current,
          ...(thresholdValue === undefined ? {} : { threshold: thresholdValue }),
        };
      case 'swap':
        return { kind, old: current, new: owner };
      case 'threshold':
        return { kind, threshold: thresholdValue };
    }
  })();
  const parsed = ownersChangeSchema.safeParse(change);
  const refused = parsed.success ? new Set<string>() : refusedFields(parsed.error.issues, '');
  const problem = (field: string) =>
    touched && refused.has(field) ? t(PROBLEM[field] ?? 'notes.invalid.address') : undefined;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!parsed.success) return;
    void submit(() =>
      call('treasury.proposeOwners', {
        treasury,
        change: parsed.data,
        ...described(description),
        offline,
      }),
    );
  };

  const title = t('treasury.proposals.ownersTitle');
  return (
    <Panel title={title}>
      <form className="form" onSubmit={onSubmit} noValidate aria-label={title}>
        <div className="field">
          <label htmlFor={ids.kind}>{t('treasury.ownersChange.change')}</label>
          <select
            id={ids.kind}
            value={kind}
            onChange={(e) => {
              setKind(e.target.value as OwnersKind);
              setTouched(false);
            }}
          >
            {OWNER_CHANGES.map((name) => (
              <option key={name} value={name}>
                {t(`treasury.ownersChange.changes.${name}`)}
              </option>
            ))}
          </select>
        </div>
        {kind === 'remove' || kind === 'swap' ? (
          <Field
            id={ids.picked}
            label={t('treasury.ownersChange.ownerRemoved')}
            problem={problem(kind === 'swap' ? 'old' : 'owner')}
          >
            <select id={ids.picked} value={current} onChange={(e) => setPicked(e.target.value)}>
              {owners.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {kind === 'add' || kind === 'swap' ? (
          <Field
            id={ids.owner}
            label={t('treasury.ownersChange.ownerAdded')}
            problem={problem(kind === 'swap' ? 'new' : 'owner')}
          >
            <input
              id={ids.owner}
              className="mono"
              value={owner}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => setOwner(e.target.value.trim())}
            />
          </Field>
        ) : null}
        {kind !== 'swap' ? (
          <Field
            id={ids.threshold}
            label={t(
              kind === 'threshold'
                ? 'treasury.proposals.newThreshold'
                : 'treasury.proposals.newThresholdOptional',
            )}
            problem={problem('threshold')}
          >
            <input
              id={ids.threshold}
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={newThreshold}
              placeholder={String(threshold)}
              onChange={(e) => setNewThreshold(e.target.value)}
            />
          </Field>
        ) : null}
        <DescriptionField value={description} onChange={setDescription} />
        <Refusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy}>
            {busy ? t('common.loading') : t('treasury.propose.submit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}

export function CancelProposalForm({
  treasury,
  offline,
  nonce,
  onBundle,
}: {
  treasury: string;
  offline: boolean;
  /** The treasury's next nonce, when read: the form starts there. */
  nonce: string | undefined;
  onBundle(loaded: LoadedBundle): void;
}) {
  const { t } = useTranslation();
  const [typed, setTyped] = useState<string>();
  const [description, setDescription] = useState('');
  const [touched, setTouched] = useState(false);
  const { busy, error, submit } = useSubmit(onBundle);
  const id = useId();
  const value = typed ?? nonce ?? '';
  const parsed = treasuryRequests['treasury.cancel'].shape.nonce.safeParse(value);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!parsed.success) return;
    void submit(() =>
      call('treasury.cancel', { treasury, nonce: parsed.data, ...described(description), offline }),
    );
  };

  const title = t('treasury.proposals.cancelTitle');
  return (
    <Panel title={title}>
      <form className="form" onSubmit={onSubmit} noValidate aria-label={title}>
        <p className="muted small">{t('treasury.proposals.cancelHint')}</p>
        <Field
          id={id}
          label={t('treasury.proposals.cancelNonce')}
          problem={touched && !parsed.success ? t(PROBLEM.nonce!) : undefined}
        >
          <input
            id={id}
            inputMode="numeric"
            value={value}
            autoComplete="off"
            onChange={(e) => setTyped(e.target.value.trim())}
          />
        </Field>
        <DescriptionField value={description} onChange={setDescription} />
        <Refusal error={error} />
        <div className="row-actions">
          <button type="submit" disabled={busy}>
            {busy ? t('common.loading') : t('treasury.proposals.cancelSubmit')}
          </button>
        </div>
      </form>
    </Panel>
  );
}
