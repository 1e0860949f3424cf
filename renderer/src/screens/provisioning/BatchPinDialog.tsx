/**
 * The two PINs a batch needs: the operator key's (it signs every registration
 * and payment) and the bank's SO PIN (it opens every customer's token). Held
 * in this dialog's state only while typed; on submit the fields are emptied
 * and the PINs go to the one provision.start call.
 */
import { type FormEvent, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PinField } from '../../components/PinFields.js';
import { useModalDialog } from '../../components/useModalDialog.js';

export function BatchPinDialog({
  open,
  rows,
  onCancel,
  onSubmit,
}: {
  open: boolean;
  rows: number;
  onCancel(): void;
  onSubmit(pin: string, soPin: string): void;
}) {
  const { t } = useTranslation();
  const [pin, setPin] = useState('');
  const [soPin, setSoPin] = useState('');
  const first = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const descId = useId();
  const clear = () => {
    setPin('');
    setSoPin('');
  };
  const ref = useModalDialog({ open, reset: clear, first, refused: false });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!pin || !soPin) return;
    const entered = [pin, soPin] as const;
    clear();
    onSubmit(...entered);
  };
  return (
    <dialog
      ref={ref}
      className="pin-dialog"
      aria-labelledby={titleId}
      aria-describedby={descId}
      onCancel={(event) => {
        event.preventDefault();
        clear();
        onCancel();
      }}
    >
      <form onSubmit={submit}>
        <h2 id={titleId}>{t('provisioning.pins.title')}</h2>
        <p id={descId}>{t('provisioning.pins.description', { rows })}</p>
        <PinField
          inputRef={first}
          label={t('provisioning.pins.operator')}
          value={pin}
          onChange={setPin}
          disabled={false}
        />
        <PinField
          label={t('provisioning.pins.so')}
          value={soPin}
          onChange={setSoPin}
          disabled={false}
        />
        <div className="row-actions">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              clear();
              onCancel();
            }}
          >
            {t('common.cancel')}
          </button>
          <button type="submit" disabled={!pin || !soPin}>
            {t('provisioning.pins.start')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
