/**
 * A payment or a payment request as a file: a download link for the text the
 * server made, and a file input that reads one back as text.
 */
import { useId } from 'react';

/** `<a download>` of `text` (a data: URL, which the bridge's CSP allows for downloads). */
export function SaveLink({
  text,
  fileName,
  label,
}: {
  text: string;
  fileName: string;
  label: string;
}) {
  const href = `data:application/json;charset=utf-8,${encodeURIComponent(text)}`;
  return (
    <a className="button secondary" href={href} download={fileName}>
      {label}
    </a>
  );
}

/** A labelled file input: the chosen file's text goes to `onText`. */
export function OpenFile({
  label,
  accept,
  disabled,
  onText,
}: {
  label: string;
  accept: string;
  disabled?: boolean;
  onText(text: string): void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept={accept}
        disabled={disabled}
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) onText(await file.text());
        }}
      />
    </div>
  );
}
