import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { errorText } from '../../format.js';

/** A refusal in one line (the server's own line in its title, for support). */
export function Refusal({ error, text }: { error?: SerializedError | undefined; text?: string }) {
  const { t } = useTranslation();
  if (!error && !text) return null;
  return (
    <p className="field-error" role="alert" title={error?.message}>
      {text ?? (error ? errorText(t, error) : '')}
    </p>
  );
}
