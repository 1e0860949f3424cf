/**
 * The PIN prompt: a modal <dialog>. The PIN lives in this component's state
 * only while typed; on submit it is taken out of state (the field empties)
 * and handed to the one call that needs it, never stored anywhere else.
 */
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import { serialized } from '../api.js';
import { type DeviceConfirm, LedgerDeviceHashes } from './LedgerDeviceConfirm.js';
import { ErrorMessage } from './Panel.js';
import { useModalDialog } from './useModalDialog.js';

export interface PinRequest {
  title: string;
  description: string;
  /**
   * A key on a Ledger: no PIN is asked (it is typed on the device); the dialog
   * shows what the device will show, and runs the call without a PIN.
   */
  device?: DeviceConfirm | undefined;
  /** Runs the call with the PIN (none for a Ledger); throwing keeps the dialog open with the error. */
  run(pin: string | undefined): Promise<void>;
}

export function PinDialog({ request, onClose }: { request: PinRequest | null; onClose(): void }) {
  const { t } = useTranslation();
  const inputRef = useRef<HTMLInputElement>(null);
  const [pin, setPin] = useState('');
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const descId = useId();
  const inputId = useId();
  const ref = useModalDialog({
    open: request !== null,
    reset: () => {
      setPin('');
      setError(undefined);
    },
    first: inputRef,
    refused: error !== undefined && !busy,
  });

  const close = () => {
    setPin('');
    setError(undefined);
    onClose();
  };

  const device = request?.device;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!request || busy || (!device && pin.length === 0)) return;
    const entered = device ? undefined : pin;
    setPin('');
    setBusy(true);
    setError(undefined);
    try {
      await request.run(entered);
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
          </>
        )}
        {error ? <ErrorMessage error={error} /> : null}
        <div className="row-actions">
          <button type="button" className="secondary" onClick={close} disabled={busy}>
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={busy || (!device && pin.length === 0)}>
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
