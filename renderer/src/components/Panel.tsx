import type { ReactNode } from 'react';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { SerializedError } from '../../../core/api/errors.js';
import { errorText } from '../format.js';

/**
 * The error state of one panel: a sentence for people (`text` where the caller
 * knows better words than the error code's), the server's line for support.
 */
export function ErrorMessage({
  error,
  text: words,
  onRetry,
}: {
  error: SerializedError;
  text?: string | undefined;
  onRetry?: () => void;
}) {
  const { t } = useTranslation();
  const text = words ?? errorText(t, error);
  return (
    <div className="error" role="alert">
      <p className="error-text">{text}</p>
      {text !== error.message ? (
        <p className="error-detail">{t('errors.technical', { message: error.message })}</p>
      ) : null}
      {onRetry ? (
        <button type="button" className="secondary" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

/** A titled section that shows loading, its error, or its content. */
export function Panel({
  title,
  actions,
  loading,
  error,
  onRetry,
  children,
}: {
  title: string;
  actions?: ReactNode;
  loading?: boolean;
  error?: SerializedError | undefined;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <section className="panel" aria-labelledby={id} aria-busy={loading ? true : undefined}>
      <header className="panel-header">
        <h2 id={id}>{title}</h2>
        {actions ? <div className="panel-actions">{actions}</div> : null}
      </header>
      {error ? (
        <ErrorMessage error={error} {...(onRetry ? { onRetry } : {})} />
      ) : loading && !children ? (
        <p className="muted">{t('common.loading')}</p>
      ) : (
        children
      )}
    </section>
  );
}

export type BadgeTone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

export function Badge({ tone, children }: { tone: BadgeTone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
