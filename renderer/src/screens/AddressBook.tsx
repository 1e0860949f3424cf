/**
 * The address book, on the Accounts screen: names the user keeps for other
 * parties' addresses, which every review then shows beside the hex. Add,
 * rename, remove; the server checks each (core/store/address-book.ts) and the
 * form checks with the contract's own schemas first.
 */
import type { TFunction } from 'i18next';
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { addressBookNameSchema } from '../../../core/api/address-book.js';
import { addressInputSchema } from '../../../core/api/chain.js';
import type { SerializedError } from '../../../core/api/errors.js';
import type { ApiResult } from '../../../core/api/methods.js';
import { call, serialized } from '../api.js';
import { ErrorMessage, Panel } from '../components/Panel.js';
import { useQuery } from '../hooks.js';

type Entry = ApiResult<'addressBook.list'>[number];

/** The sentence for a refusal the address book explains by its reason; else the error's own. */
function refusalText(t: TFunction, error: SerializedError): string | undefined {
  const reason = error.details?.reason;
  if (typeof reason !== 'string') return undefined;
  return t(`addressBook.refused.${reason}`, { defaultValue: '' }) || undefined;
}

export function AddressBook() {
  const { t } = useTranslation();
  const book = useQuery('addressBook.list', {});
  const [editing, setEditing] = useState<{ address: string; name: string }>();
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      setEditing(undefined);
      book.reload();
      return true;
    } catch (caught) {
      setError(serialized(caught));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const entries = book.data ?? [];
  return (
    <Panel
      title={t('addressBook.title')}
      loading={book.loading}
      error={book.error}
      onRetry={book.reload}
    >
      <p className="muted">{t('addressBook.intro')}</p>
      {entries.length === 0 ? (
        <p>{t('addressBook.empty')}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('addressBook.name')}</th>
                <th scope="col">{t('addressBook.address')}</th>
                <th scope="col">{t('addressBook.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <EntryRow
                  key={entry.address}
                  entry={entry}
                  busy={busy}
                  editing={editing?.address === entry.address ? editing.name : undefined}
                  onEdit={(name) =>
                    setEditing(name === undefined ? undefined : { address: entry.address, name })
                  }
                  onSave={(name) =>
                    run(() => call('addressBook.rename', { address: entry.address, name }))
                  }
                  onRemove={() => run(() => call('addressBook.remove', { address: entry.address }))}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error ? <ErrorMessage error={error} text={refusalText(t, error)} /> : null}
      <AddForm
        busy={busy}
        onAdd={(address, name) => run(() => call('addressBook.add', { address, name }))}
      />
    </Panel>
  );
}

function EntryRow({
  entry,
  busy,
  editing,
  onEdit,
  onSave,
  onRemove,
}: {
  entry: Entry;
  busy: boolean;
  /** The new name being typed, while renaming. */
  editing: string | undefined;
  onEdit(name: string | undefined): void;
  onSave(name: string): void;
  onRemove(): void;
}) {
  const { t } = useTranslation();
  const valid = editing === undefined || addressBookNameSchema.safeParse(editing).success;
  return (
    <tr>
      <td>
        {editing === undefined ? (
          entry.name
        ) : (
          <form
            className="field inline"
            onSubmit={(event) => {
              event.preventDefault();
              if (valid) onSave(editing);
            }}
          >
            <input
              aria-label={t('addressBook.newName', { name: entry.name })}
              value={editing}
              autoComplete="off"
              aria-invalid={valid ? undefined : true}
              onChange={(e) => onEdit(e.target.value)}
            />
            <button type="submit" className="small" disabled={busy || !valid}>
              {t('addressBook.save')}
            </button>
            <button type="button" className="secondary small" onClick={() => onEdit(undefined)}>
              {t('common.cancel')}
            </button>
          </form>
        )}
      </td>
      <td className="mono">{entry.address}</td>
      <td className="row-buttons">
        {editing === undefined ? (
          <button
            type="button"
            className="secondary small"
            aria-label={t('addressBook.renameLabel', { name: entry.name })}
            disabled={busy}
            onClick={() => onEdit(entry.name)}
          >
            {t('addressBook.rename')}
          </button>
        ) : null}
        <button
          type="button"
          className="secondary small"
          aria-label={t('addressBook.removeLabel', { name: entry.name })}
          disabled={busy}
          onClick={onRemove}
        >
          {t('addressBook.remove')}
        </button>
      </td>
    </tr>
  );
}

function AddForm({
  busy,
  onAdd,
}: {
  busy: boolean;
  onAdd(address: string, name: string): Promise<boolean>;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [touched, setTouched] = useState(false);
  const ids = { name: useId(), address: useId(), nameHint: useId(), addressHint: useId() };
  const nameValid = addressBookNameSchema.safeParse(name).success;
  const addressValid = addressInputSchema.safeParse(address).success;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (!nameValid || !addressValid) return;
    if (await onAdd(address, name)) {
      setName('');
      setAddress('');
      setTouched(false);
    }
  };

  return (
    <form className="inline-form" onSubmit={submit} noValidate aria-label={t('addressBook.add')}>
      <div className="field">
        <label htmlFor={ids.name}>{t('addressBook.name')}</label>
        <input
          id={ids.name}
          value={name}
          autoComplete="off"
          aria-invalid={touched && !nameValid ? true : undefined}
          aria-describedby={touched && !nameValid ? ids.nameHint : undefined}
          onChange={(e) => setName(e.target.value)}
        />
        {touched && !nameValid ? (
          <p id={ids.nameHint} className="field-error">
            {t('addressBook.invalidName')}
          </p>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={ids.address}>{t('addressBook.address')}</label>
        <input
          id={ids.address}
          className="mono"
          value={address}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={touched && !addressValid ? true : undefined}
          aria-describedby={touched && !addressValid ? ids.addressHint : undefined}
          onChange={(e) => setAddress(e.target.value.trim())}
        />
        {touched && !addressValid ? (
          <p id={ids.addressHint} className="field-error">
            {t('addressBook.invalidAddress')}
          </p>
        ) : null}
      </div>
      <button type="submit" disabled={busy}>
        {busy ? t('addressBook.adding') : t('addressBook.add')}
      </button>
    </form>
  );
}
