/**
 * The PIN prompt: a modal <dialog>. The PINs live in this component's state
 * only while typed; on submit they are taken out of state (the fields empty)
 * and handed to the one call that needs them, never stored anywhere else.
 *
 * A P-256 account's payment may need two tokens: its key's and its carrier's.
 * The carrier's PIN is asked in a field of its own only when the carrier is on
 * another token (one token, one PIN; a Ledger carrier confirms on the device),
 * and goes as `carrierPin`, which the server tries on the carrier's token only.
 */
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { carriedOperationSchema } from '../../../core/api/chain.js';
import type { SerializedError } from '../../../core/api/errors.js';
import { serialized } from '../api.js';
import { errorText } from '../format.js';
import { type DeviceConfirm, LedgerDeviceHashes } from './LedgerDeviceConfirm.js';
import { ErrorMessage } from './Panel.js';
import { PinField } from './PinFields.js';
import { useModalDialog } from './useModalDialog.js';

/** What unlocks a carrier's key (the review's `carried.carrierLogin`). */
export type CarrierLogin = z.infer<typeof carriedOperationSchema>['carrierLogin'];

export interface PinRequest {
  title: string;
  description: string;
  /**
   * A key on a Ledger: no PIN is asked (it is typed on the device); the dialog
   * shows what the device will show, and runs the call without a PIN.
   */
  device?: DeviceConfirm | undefined;
  /** A P-256 sender's carrier: on another token (its PIN asked too) or a Ledger. */
  carrier?: CarrierLogin | undefined;
  /**
   * Runs the call with the PIN (none for a Ledger) and the carrier token's PIN
   * (only when the carrier is on another token); throwing keeps the dialog open
   * with the error.
   */
  run(pin: string | undefined, carrierPin?: string): Promise<void>;
}

export function PinDialog({ request, onClose }: { request: PinRequest | null; onClose(): void }) {
  const { t } = useTranslation();
  const inputRef = useRef<HTMLInputElement>(null);
  const [pin, setPin] = useState('');
  const [carrierPin, setCarrierPin] = useState('');
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const descId = useId();
  const inputId = useId();
  const ref = useModalDialog({
    open: request !== null,
    reset: () => {
      setPin('');
      setCarrierPin('');
      setError(undefined);
    },
    first: inputRef,
    refused: error !== undefined && !busy,
  });

  const close = () => {
    setPin('');
    setCarrierPin('');
    setError(undefined);
    onClose();
  };

  const device = request?.device;
  const carrier = request?.carrier;
  const otherToken = carrier?.kind === 'other-token' ? carrier : undefined;
  const ready = device !== undefined || (pin.length > 0 && (!otherToken || carrierPin.length > 0));
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!request || busy || !ready) return;
    const entered = device ? undefined : pin;
    const enteredCarrier = otherToken ? carrierPin : undefined;
    setPin('');
    setCarrierPin('');
    setBusy(true);
    setError(undefined);
    try {
      await request.run(entered, enteredCarrier);
      close();
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      className="pin-dialog"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(event) => {
        event.preventDefault();
        if (!busy) close();
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId}>{request?.title ?? t('pin.title')}</h2>
        <p id={descId}>{request?.description}</p>
        {device ? (
          <>
            <p>{t('ledgerDevice.reviewIntro')}</p>
            <LedgerDeviceHashes confirm={device} />
            <p className="strong" role="status">
              {busy ? t('ledgerDevice.confirmNow') : ''}
            </p>
          </>
        ) : otherToken ? (
          <>
            <PinField
              inputRef={inputRef}
              label={t('pin.keyToken', { token: otherToken.keyToken })}
              value={pin}
              onChange={setPin}
              disabled={busy}
            />
            <PinField
              label={t('pin.carrierToken', { token: otherToken.token })}
              value={carrierPin}
              onChange={setCarrierPin}
              disabled={busy}
            />
            <p className="muted small">{t('pin.twoTokensHint')}</p>
          </>
        ) : (
          <>
            <label htmlFor={inputId}>{t('pin.label')}</label>
            <input
              ref={inputRef}
              id={inputId}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={pin}
              onChange={(e) => setPin(e.target.value)}
              disabled={busy}
              required
            />
            <p className="muted small">{t('pin.hint')}</p>
            {carrier?.kind === 'device' ? <p className="strong">{t('pin.carrierDevice')}</p> : null}
          </>
        )}
        {error ? (
          <ErrorMessage
            error={error}
            text={
              // Which of the two PINs a wrong-PIN error is about (its message names the token too).
              otherToken && error.details?.field === 'carrierPin'
                ? t('pin.carrierError', {
                    token: otherToken.token,
                    error: errorText(t, error),
                  })
                : undefined
            }
          />
        ) : null}
        <div className="row-actions">
          <button type="button" className="secondary" onClick={close} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={busy || !ready}>
            {device
              ? busy
                ? t('ledgerDevice.confirmNow')
                : t('ledgerDevice.sign')
              : busy
                ? t('pin.working')
                : t('pin.submit')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
