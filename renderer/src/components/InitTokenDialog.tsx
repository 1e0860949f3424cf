/**
 * Initialising a token in an empty slot: a modal <dialog> with the token label,
 * the security officer PIN and the first user PIN, each typed twice. The PINs
 * live in this component's state only while typed; they are cleared after the
 * call (whatever its outcome) and on cancel, and a mismatched repeat is refused
 * here without calling anything.
 */
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import { call, serialized } from '../api.js';
import { ErrorMessage } from './Panel.js';

export interface InitTarget {
  /** The PKCS#11 module path of the slot. */
  module: string;
  slot: number;
}

export function InitTokenDialog({
  target,
  onClose,
  onDone,
}: {
  target: InitTarget | null;
  onClose(): void;
  onDone(label: string): void;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  const labelRef = useRef<HTMLInputElement>(null);
  const [label, setLabel] = useState('');
  const [soPin, setSoPin] = useState('');
  const [soPin2, setSoPin2] = useState('');
  const [userPin, setUserPin] = useState('');
  const [userPin2, setUserPin2] = useState('');
  const [mismatch, setMismatch] = useState<string>();
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const descId = useId();
  const ids = { label: useId(), so: useId(), so2: useId(), user: useId(), user2: useId() };

  const clearPins = () => {
    setSoPin('');
    setSoPin2('');
    setUserPin('');
    setUserPin2('');
  };

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (target && !dialog.open) {
      setLabel('');
      clearPins();
      setMismatch(undefined);
      setError(undefined);
      dialog.showModal();
      labelRef.current?.focus();
    } else if (!target && dialog.open) {
      dialog.close();
    }
  }, [target]);

  const close = () => {
    clearPins();
    setMismatch(undefined);
    setError(undefined);
    onClose();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!target || busy) return;
    setError(undefined);
    if (soPin !== soPin2 || userPin !== userPin2) {
      setMismatch(soPin !== soPin2 ? t('init.soMismatch') : t('init.userMismatch'));
      clearPins();
      return;
    }
    setMismatch(undefined);
    const request = {
      module: target.module,
      slot: target.slot,
      label: label.trim(),
      soPin,
      newPin: userPin,
    };
    clearPins();
    setBusy(true);
    try {
      await call('devices.initToken', request);
      const done = request.label;
      close();
      onDone(done);
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const pinField = (id: string, text: string, value: string, set: (v: string) => void) => (
    <div className="field">
      <label htmlFor={id}>{text}</label>
      <input
        id={id}
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => set(e.target.value)}
        disabled={busy}
        maxLength={256}
        required
      />
    </div>
  );

  return (
    <dialog
      ref={ref}
      className="pin-dialog init-dialog"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) close();
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId}>{t('init.title')}</h2>
        <p id={descId}>{t('init.description', { slot: target?.slot ?? '' })}</p>
        <div className="field">
          <label htmlFor={ids.label}>{t('init.label')}</label>
          <input
            ref={labelRef}
            id={ids.label}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            disabled={busy}
            maxLength={32}
            required
          />
        </div>
        <fieldset className="pin-pair">
          <legend>{t('init.soLegend')}</legend>
          {pinField(ids.so, t('init.soPin'), soPin, setSoPin)}
          {pinField(ids.so2, t('init.soPinRepeat'), soPin2, setSoPin2)}
        </fieldset>
        <fieldset className="pin-pair">
          <legend>{t('init.userLegend')}</legend>
          {pinField(ids.user, t('init.userPin'), userPin, setUserPin)}
          {pinField(ids.user2, t('init.userPinRepeat'), userPin2, setUserPin2)}
        </fieldset>
        <p className="muted small">{t('pin.hint')}</p>
        {mismatch ? (
          <div className="error" role="alert">
            <p className="error-text">{mismatch}</p>
          </div>
        ) : null}
        {error ? <ErrorMessage error={error} /> : null}
        <div className="row-actions">
          <button type="button" className="secondary" onClick={close} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={busy}>
            {busy ? t('init.working') : t('init.submit')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
