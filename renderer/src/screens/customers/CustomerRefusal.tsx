import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../../core/api/errors.js';
import { errorText } from '../../format.js';
import { Refusal } from '../treasury/Refusal.js';

/** The server's refusal reasons that have a sentence of their own (customers.reason.*). */
const reasons = [
  'queued',
  'not-frozen',
  'customer-empty',
  'customer-too-long',
  'customer-control',
] as const;

/** A refusal's sentence: its reason's when it has one, else its error code's. */
export function customerRefusalText(t: TFunction, error: SerializedError): string {
  const reason = error.details?.reason;
  return typeof reason === 'string' && (reasons as readonly string[]).includes(reason)
    ? t(`customers.reason.${reason}`)
    : errorText(t, error);
}

/** A registry refusal in one line (the server's own line in its title, for support). */
export function CustomerRefusal({ error }: { error: SerializedError | undefined }) {
  const { t } = useTranslation();
  return error ? <Refusal error={error} text={customerRefusalText(t, error)} /> : null;
}
