/**
 * The PIN inputs the provisioning dialogs share: one PIN field, and a PIN typed
 * twice (a fieldset with the PIN and its repeat). They hold nothing: the dialog
 * that uses them keeps the PINs in its own state and clears them after use.
 */
import { type Ref, useId } from 'react';

/** A PIN typed twice; `pin === repeat` is checked by the dialog before any call. */
export interface RepeatedPin {
  pin: string;
  repeat: string;
}

export const noPin: RepeatedPin = { pin: '', repeat: '' };

export function PinField({
  label,
  value,
  onChange,
  disabled,
  inputRef,
}: {
  label: string;
  value: string;
  onChange(value: string): void;
  disabled: boolean;
  inputRef?: Ref<HTMLInputElement>;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        ref={inputRef}
        id={id}
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        disabled={disabled}
        maxLength={256}
        required
      />
    </div>
  );
}

export function PinPair({
  legend,
  label,
  repeatLabel,
  value,
  onChange,
  disabled,
}: {
  legend: string;
  label: string;
  repeatLabel: string;
  value: RepeatedPin;
  onChange(value: RepeatedPin): void;
  disabled: boolean;
}) {
  return (
    <fieldset className="pin-pair">
      <legend>{legend}</legend>
      <PinField
        label={label}
        value={value.pin}
        onChange={(pin) => onChange({ ...value, pin })}
        disabled={disabled}
      />
      <PinField
        label={repeatLabel}
        value={value.repeat}
        onChange={(repeat) => onChange({ ...value, repeat })}
        disabled={disabled}
      />
    </fieldset>
  );
}

/** The alert for a PIN repeat that differs (checked in the dialog; nothing was called). */
export function MismatchAlert({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <div className="error" role="alert">
      <p className="error-text">{text}</p>
    </div>
  );
}
