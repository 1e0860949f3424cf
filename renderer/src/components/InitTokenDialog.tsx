/**
 * Initialising a token in an empty slot: a modal <dialog> with the token label,
 * the security officer PIN and the first user PIN, each typed twice. The PINs
 * live in this component's state only while typed; they are cleared after the
 * call (whatever its outcome) and on cancel, and a mismatched repeat is refused
 * here without calling anything.
 */
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import { call, serialized } from '../api.js';
import { ErrorMessage } from './Panel.js';
import { MismatchAlert, noPin, PinPair, type RepeatedPin } from './PinFields.js';
import { useModalDialog } from './useModalDialog.js';

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
  const labelRef = useRef<HTMLInputElement>(null);
  const [label, setLabel] = useState('');
  const [soPin, setSoPin] = useState<RepeatedPin>(noPin);
  const [userPin, setUserPin] = useState<RepeatedPin>(noPin);
  const [mismatch, setMismatch] = useState<string>();
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const descId = useId();
  const labelId = useId();

  const clearPins = () => {
    setSoPin(noPin);
    setUserPin(noPin);
  };
  /** PINs and messages, on opening and on closing. */
  const clear = () => {
    clearPins();
    setMismatch(undefined);
    setError(undefined);
  };

  const ref = useModalDialog({
    open: target !== null,
    reset: () => {
      setLabel('');
      clear();
    },
    first: labelRef,
    refused: error !== undefined && !busy,
  });

  const close = () => {
    clear();
    onClose();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!target || busy) return;
    setError(undefined);
    if (soPin.pin !== soPin.repeat || userPin.pin !== userPin.repeat) {
      setMismatch(soPin.pin !== soPin.repeat ? t('init.soMismatch') : t('init.userMismatch'));
      clearPins();
      return;
    }
    setMismatch(undefined);
    const request = {
      module: target.module,
      slot: target.slot,
      label: label.trim(),
      soPin: soPin.pin,
      newPin: userPin.pin,
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
          <label htmlFor={labelId}>{t('init.label')}</label>
          <input
            ref={labelRef}
            id={labelId}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            disabled={busy}
            maxLength={32}
            required
          />
        </div>
        <PinPair
          legend={t('init.soLegend')}
          label={t('init.soPin')}
          repeatLabel={t('init.soPinRepeat')}
          value={soPin}
          onChange={setSoPin}
          disabled={busy}
        />
        <PinPair
          legend={t('init.userLegend')}
          label={t('init.userPin')}
          repeatLabel={t('init.userPinRepeat')}
          value={userPin}
          onChange={setUserPin}
          disabled={busy}
        />
        <p className="muted small">{t('pin.hint')}</p>
        <MismatchAlert text={mismatch} />
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
