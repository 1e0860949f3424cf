/**
 * Changing or unblocking a token's user PIN: a modal <dialog>.
 *
 * - `change`: the current user PIN, then the new PIN typed twice.
 * - `unblock`: the security officer PIN, then a new user PIN typed twice. This
 *   sets a new user PIN whatever the old one was, and so unlocks a locked PIN.
 *
 * As in the init dialog, the PINs live in this component's state only while
 * typed; they are cleared when the call is made (whatever its outcome) and on
 * cancel, and a mismatched repeat is refused here without calling anything. A
 * wrong current or SO PIN keeps the dialog open with the error and what the
 * token says about the tries left.
 */
import type { TFunction } from 'i18next';
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import { call, serialized } from '../api.js';
import { tpmLockoutText } from '../format.js';
import { ErrorMessage } from './Panel.js';
import { MismatchAlert, noPin, PinField, PinPair, type RepeatedPin } from './PinFields.js';
import { useModalDialog } from './useModalDialog.js';

export type PinChangeMode = 'change' | 'unblock';

export interface PinChangeTarget {
  mode: PinChangeMode;
  /** The token's pkcs11: URI. */
  token: string;
  /** The token's name as the Devices screen shows it. */
  name: string;
}

/**
 * Words for a wrong or locked PIN that say which PIN it was (the current user
 * PIN or the SO PIN) and what the token reports about the tries left;
 * undefined for any other error (the usual sentence for its code).
 */
function pinErrorText(t: TFunction, error: SerializedError): string | undefined {
  const role = error.details?.role;
  if (role !== 'user' && role !== 'so') return undefined;
  const tpm = tpmLockoutText(t, error);
  if (tpm) return error.code === 'PIN_INCORRECT' ? `${t(`pinChange.wrong.${role}`)} ${tpm}` : tpm;
  if (error.code === 'PIN_LOCKED') return role === 'so' ? t('pinChange.soLocked') : undefined;
  if (error.code !== 'PIN_INCORRECT') return undefined;
  const state = error.details?.retryState;
  const retry =
    role === 'so' && state === 'final-try'
      ? t('pinChange.soFinalTry')
      : t(`errors.retry.${state === 'final-try' || state === 'count-low' ? state : 'unknown'}`);
  return `${t(`pinChange.wrong.${role}`)} ${retry}`;
}

export function PinChangeDialog({
  target,
  onClose,
  onTried,
  onDone,
}: {
  target: PinChangeTarget | null;
  onClose(): void;
  /** After every call that reached the token, right PIN or wrong: its PIN flags may have changed. */
  onTried(): void;
  onDone(target: PinChangeTarget): void;
}) {
  const { t } = useTranslation();
  const firstRef = useRef<HTMLInputElement>(null);
  // The PIN the token checks: the current user PIN (change) or the SO PIN (unblock).
  const [pin, setPin] = useState('');
  const [newPin, setNewPin] = useState<RepeatedPin>(noPin);
  const [mismatch, setMismatch] = useState<string>();
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const descId = useId();
  const mode = target?.mode ?? 'change';

  const clearPins = () => {
    setPin('');
    setNewPin(noPin);
  };
  /** PINs and messages, on opening and on closing. */
  const clear = () => {
    clearPins();
    setMismatch(undefined);
    setError(undefined);
  };

  const ref = useModalDialog({
    open: target !== null,
    reset: () => clear(),
    first: firstRef,
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
    if (newPin.pin !== newPin.repeat) {
      setMismatch(t('pinChange.mismatch'));
      clearPins();
      firstRef.current?.focus();
      return;
    }
    setMismatch(undefined);
    const entered = { pin, newPin: newPin.pin };
    clearPins();
    setBusy(true);
    try {
      if (target.mode === 'change') {
        await call('devices.changePin', {
          token: target.token,
          pin: entered.pin,
          newPin: entered.newPin,
        });
      } else {
        await call('devices.unblockPin', {
          token: target.token,
          soPin: entered.pin,
          newPin: entered.newPin,
        });
      }
      close();
      onDone(target);
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
      onTried();
    }
  };

  return (
    <dialog
      ref={ref}
      className="pin-dialog pin-change-dialog"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) close();
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId}>{t(`pinChange.${mode}.title`)}</h2>
        <p id={descId}>{t(`pinChange.${mode}.description`, { token: target?.name ?? '' })}</p>
        <PinField
          inputRef={firstRef}
          label={t(`pinChange.${mode}.pin`)}
          value={pin}
          onChange={setPin}
          disabled={busy}
        />
        <PinPair
          legend={t('pinChange.newLegend')}
          label={t('pinChange.newPin')}
          repeatLabel={t('pinChange.newPinRepeat')}
          value={newPin}
          onChange={setNewPin}
          disabled={busy}
        />
        <p className="muted small">{t('pin.hint')}</p>
        <MismatchAlert text={mismatch} />
        {error ? <ErrorMessage error={error} text={pinErrorText(t, error)} /> : null}
        <div className="row-actions">
          <button type="button" className="secondary" onClick={close} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={busy}>
            {busy ? t(`pinChange.${mode}.working`) : t(`pinChange.${mode}.submit`)}
          </button>
        </div>
      </form>
    </dialog>
  );
}
