/**
 * At the counter (issue 12 §3): a lost token replaced, a locked PIN reset.
 * Each form shows what will happen first (for a replacement, the review the
 * server computed: the lost account frozen, the money and notes that move,
 * the new token), then asks the PINs by role in the PIN dialog (the operator
 * key's, then the new token's SO PIN), then says what was done and the name
 * of the new PIN mailer in the data folder. No PIN is kept or shown here.
 */
import { type FormEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TokenSummary } from '../../../../core/api/devices.js';
import type { SerializedError } from '../../../../core/api/errors.js';
import type { ApiResult } from '../../../../core/api/methods.js';
import type { CounterReplacePreview } from '../../../../core/api/provisioning.js';
import { ApiError, call, serialized } from '../../api.js';
import { AccountOptions } from '../../components/AccountOptions.js';
import { ErrorMessage, Panel } from '../../components/Panel.js';
import type { PinRequest } from '../../components/PinDialog.js';
import { formatAmount } from '../../format.js';
import { useQuery } from '../../hooks.js';

type AskPin = (request: PinRequest) => void;
type PinField = 'pin' | 'soPin';
type Language = 'en' | 'zh-CN';

/**
 * Runs `attempt` with the PINs gathered so far; when the server answers
 * PIN_REQUIRED for a field this form asks for, the PIN dialog asks it and the
 * call runs again with it too. The PINs live in this closure for the one
 * operation only.
 */
async function withRolePins<T>(
  askPin: AskPin,
  prompts: Partial<Record<PinField, { title: string; description: string }>>,
  attempt: (pins: Partial<Record<PinField, string>>) => Promise<T>,
  done: (result: T) => void,
  pins: Partial<Record<PinField, string>> = {},
): Promise<void> {
  try {
    done(await attempt(pins));
  } catch (caught) {
    const field = caught instanceof ApiError ? caught.error.details?.field : undefined;
    if (
      !(caught instanceof ApiError) ||
      caught.code !== 'PIN_REQUIRED' ||
      (field !== 'pin' && field !== 'soPin') ||
      pins[field] !== undefined
    ) {
      throw caught;
    }
    const prompt = prompts[field];
    if (!prompt) throw caught;
    const ask = () =>
      askPin({
        ...prompt,
        run: (pin) => withRolePins(askPin, prompts, attempt, done, { ...pins, [field]: pin ?? '' }),
      });
    // From inside the dialog's run, ask after it closes (it closes when the run resolves).
    if (Object.keys(pins).length > 0) setTimeout(ask, 0);
    else ask();
  }
}

function tokenName(token: TokenSummary): string {
  return `${token.label || '—'} · ${token.serial}`;
}

/** The counter's two forms, over a token list the screen already has. */
export function CounterPanel({
  askPin,
  tokens,
  onChanged,
}: {
  askPin: AskPin;
  tokens: TokenSummary[] | undefined;
  onChanged?: () => void;
}) {
  const { t } = useTranslation();
  return (
    <Panel title={t('counter.title')}>
      <p className="muted">{t('counter.intro')}</p>
      <div className="counter-forms">
        <ReplaceForm askPin={askPin} tokens={tokens ?? []} onChanged={onChanged} />
        <UnblockForm askPin={askPin} tokens={tokens ?? []} onChanged={onChanged} />
      </div>
    </Panel>
  );
}

/** The same, loading the token list itself (for a screen that has none). */
export function CounterPanelWithTokens({ askPin }: { askPin: AskPin }) {
  const tokens = useQuery('devices.listTokens', {});
  return <CounterPanel askPin={askPin} tokens={tokens.data} onChanged={tokens.reload} />;
}

function LanguageSelect({ value, onChange }: { value: Language; onChange(v: Language): void }) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{t('counter.language')}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as Language)}>
        <option value="en">{t('counter.languages.en')}</option>
        <option value="zh-CN">{t('counter.languages.zh-CN')}</option>
      </select>
    </div>
  );
}

/** The token list's choice; a token whose URI changed (its label, at initialisation) is chosen again. */
function TokenSelect({
  tokens,
  value,
  onChange,
  label,
}: {
  tokens: TokenSummary[];
  value: string;
  onChange(v: string): void;
  label: string;
}) {
  const { t } = useTranslation();
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={tokens.some((token) => token.uri === value) ? value : ''}
        required
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="">{t('counter.chooseToken')}</option>
        {tokens
          .filter((token) => token.serial)
          .map((token) => (
            <option key={token.uri} value={token.uri}>
              {tokenName(token)}
              {token.flags.userPinLocked ? ` (${t('counter.locked')})` : ''}
            </option>
          ))}
      </select>
    </div>
  );
}

function TextField({
  label,
  value,
  onChange,
  mono,
}: {
  label: string;
  value: string;
  onChange(v: string): void;
  mono?: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className={mono ? 'mono' : undefined}
        value={value}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
      />
    </div>
  );
}

interface ReplaceDraft {
  customer: string;
  lost: string;
  token: string;
  operator: string;
  name: string;
  language: Language;
}

function ReplaceForm({
  askPin,
  tokens,
  onChanged,
}: {
  askPin: AskPin;
  tokens: TokenSummary[];
  onChanged?: (() => void) | undefined;
}) {
  const { t, i18n } = useTranslation();
  const accounts = useQuery('accounts.list', {});
  const [draft, setDraft] = useState<ReplaceDraft>({
    customer: '',
    lost: '',
    token: '',
    operator: '',
    name: '',
    language: i18n.language === 'zh-CN' ? 'zh-CN' : 'en',
  });
  const [review, setReview] = useState<CounterReplacePreview>();
  const [result, setResult] = useState<ApiResult<'provision.counterReplace'>>();
  const [error, setError] = useState<SerializedError>();
  const [busy, setBusy] = useState(false);
  const operatorId = useId();
  const request = () => ({
    customer: draft.customer.trim(),
    lost: draft.lost.trim(),
    token: draft.token,
    operator: draft.operator,
    language: draft.language,
    ...(draft.name.trim() ? { name: draft.name.trim() } : {}),
  });
  const edit = (change: Partial<ReplaceDraft>) => {
    setDraft({ ...draft, ...change });
    setReview(undefined);
    setResult(undefined);
    setError(undefined);
  };

  const preview = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setReview(await call('provision.replacePreview', request()));
    } catch (caught) {
      setError(serialized(caught));
    } finally {
      setBusy(false);
    }
  };

  const replace = async () => {
    if (!review) return;
    setError(undefined);
    const newToken = tokenLabel(review);
    try {
      await withRolePins(
        askPin,
        {
          pin: {
            title: t('counter.operatorPinTitle'),
            description: t('counter.operatorPinText'),
          },
          soPin: {
            title: t('counter.soPinTitle'),
            description: t('counter.soPinText', { token: newToken }),
          },
        },
        (pins) =>
          call('provision.counterReplace', {
            ...request(),
            reviewDigest: review.reviewDigest,
            ...pins,
          }),
        (done) => {
          setReview(undefined);
          setResult(done);
          onChanged?.();
        },
      );
    } catch (caught) {
      const failed = serialized(caught);
      setError(failed);
      // A stale review is no review: the form must be reviewed again.
      if (failed.code === 'REVIEW_STALE') setReview(undefined);
    }
  };

  return (
    <section className="counter-form" aria-labelledby={`${operatorId}-h`}>
      <h3 id={`${operatorId}-h`}>{t('counter.replaceTitle')}</h3>
      <p className="muted small">{t('counter.replaceIntro')}</p>
      <form className="form" onSubmit={preview} noValidate>
        <TextField
          label={t('counter.customer')}
          value={draft.customer}
          onChange={(customer) => edit({ customer })}
        />
        <TextField
          label={t('counter.lostAccount')}
          value={draft.lost}
          mono
          onChange={(lost) => edit({ lost: lost.trim() })}
        />
        <TokenSelect
          tokens={tokens}
          label={t('counter.newToken')}
          value={draft.token}
          onChange={(token) => edit({ token })}
        />
        <div className="field">
          <label htmlFor={operatorId}>{t('counter.operator')}</label>
          <select
            id={operatorId}
            value={draft.operator}
            required
            onChange={(e) => edit({ operator: e.target.value })}
          >
            <AccountOptions accounts={accounts.data} />
          </select>
        </div>
        <TextField
          label={t('counter.name')}
          value={draft.name}
          onChange={(name) => edit({ name })}
        />
        <LanguageSelect value={draft.language} onChange={(language) => edit({ language })} />
        {!review ? (
          <div className="row-actions">
            <button
              type="submit"
              disabled={
                busy ||
                !draft.customer ||
                !draft.lost ||
                !tokens.some((token) => token.uri === draft.token) ||
                !draft.operator
              }
            >
              {busy ? t('common.loading') : t('counter.review')}
            </button>
          </div>
        ) : null}
      </form>
      {review ? (
        <div className="counter-review">
          <h4>{t('counter.reviewTitle')}</h4>
          <dl className="facts review">
            <dt>{t('counter.customer')}</dt>
            <dd>{review.customer}</dd>
            <dt>{t('counter.lostAccount')}</dt>
            <dd className="mono break">{review.lost}</dd>
            <dt>{t('counter.freeze')}</dt>
            <dd>{review.lostFrozen ? t('counter.alreadyFrozen') : t('counter.willFreeze')}</dd>
            <dt>{t('counter.moves')}</dt>
            <dd className="strong">
              {t('counter.movesText', {
                amount: formatAmount(review.balance, i18n.language),
                count: review.notes,
              })}
            </dd>
            <dt>{t('counter.newToken')}</dt>
            <dd>{tokenLabel(review)}</dd>
            <dt>{t('counter.operator')}</dt>
            <dd className="mono break">{review.operator}</dd>
          </dl>
          <p className="muted small">{t('counter.replaceSteps')}</p>
          <div className="row-actions">
            <button type="button" className="secondary" onClick={() => setReview(undefined)}>
              {t('counter.back')}
            </button>
            <button type="button" onClick={replace}>
              {t('counter.replace')}
            </button>
          </div>
        </div>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      {result ? (
        <div className="banner banner-ok" role="status">
          <p className="strong">{t('counter.replaced', { customer: result.review.customer })}</p>
          <dl className="facts">
            <dt>{t('counter.newAccount')}</dt>
            <dd className="mono break">{result.replacement}</dd>
            <dt>{t('counter.moved')}</dt>
            <dd>
              {t('counter.movesText', {
                amount: formatAmount(result.review.balance, i18n.language),
                count: result.review.notes,
              })}
            </dd>
            <dt>{t('counter.mailer')}</dt>
            <dd className="mono break">{result.mailer}</dd>
          </dl>
          <p className="muted small">{t('counter.mailerWhere')}</p>
        </div>
      ) : null}
    </section>
  );
}

function tokenLabel(review: CounterReplacePreview): string {
  return `${review.newToken.label || '—'} · ${review.newToken.serial}`;
}

function UnblockForm({
  askPin,
  tokens,
  onChanged,
}: {
  askPin: AskPin;
  tokens: TokenSummary[];
  onChanged?: (() => void) | undefined;
}) {
  const { t, i18n } = useTranslation();
  const [token, setToken] = useState('');
  const [customer, setCustomer] = useState('');
  const [name, setName] = useState('');
  const [language, setLanguage] = useState<Language>(i18n.language === 'zh-CN' ? 'zh-CN' : 'en');
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<ApiResult<'provision.counterUnblock'>>();
  const [error, setError] = useState<SerializedError>();
  const headingId = useId();
  const chosen = tokens.find((candidate) => candidate.uri === token);
  const reset = () => {
    setConfirming(false);
    setResult(undefined);
    setError(undefined);
  };

  const unblock = async () => {
    setError(undefined);
    try {
      await withRolePins(
        askPin,
        {
          soPin: {
            title: t('counter.soPinTitle'),
            description: t('counter.soPinText', { token: chosen ? tokenName(chosen) : token }),
          },
        },
        (pins) =>
          call('provision.counterUnblock', {
            token,
            customer: customer.trim(),
            language,
            ...(name.trim() ? { name: name.trim() } : {}),
            ...pins,
          }),
        (done) => {
          setConfirming(false);
          setResult(done);
          onChanged?.();
        },
      );
    } catch (caught) {
      setError(serialized(caught));
    }
  };

  return (
    <section className="counter-form" aria-labelledby={headingId}>
      <h3 id={headingId}>{t('counter.unblockTitle')}</h3>
      <p className="muted small">{t('counter.unblockIntro')}</p>
      <form
        className="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setError(undefined);
          setResult(undefined);
          setConfirming(true);
        }}
      >
        <TokenSelect
          tokens={tokens}
          label={t('counter.token')}
          value={token}
          onChange={(value) => {
            setToken(value);
            reset();
          }}
        />
        <TextField
          label={t('counter.customer')}
          value={customer}
          onChange={(value) => {
            setCustomer(value);
            reset();
          }}
        />
        <TextField label={t('counter.name')} value={name} onChange={setName} />
        <LanguageSelect value={language} onChange={setLanguage} />
        {!confirming ? (
          <div className="row-actions">
            <button type="submit" disabled={!chosen || !customer.trim()}>
              {t('counter.review')}
            </button>
          </div>
        ) : null}
      </form>
      {confirming ? (
        <div className="counter-review">
          <p className="strong">
            {t('counter.unblockConfirm', {
              token: chosen ? tokenName(chosen) : token,
              customer: customer.trim(),
            })}
          </p>
          <div className="row-actions">
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              {t('counter.back')}
            </button>
            <button type="button" onClick={unblock}>
              {t('counter.unblock')}
            </button>
          </div>
        </div>
      ) : null}
      {error ? <ErrorMessage error={error} /> : null}
      {result ? (
        <div className="banner banner-ok" role="status">
          <p className="strong">{t('counter.unblocked', { serial: result.tokenSerial })}</p>
          <dl className="facts">
            <dt>{t('counter.mailer')}</dt>
            <dd className="mono break">{result.mailer}</dd>
          </dl>
          <p className="muted small">{t('counter.mailerWhere')}</p>
        </div>
      ) : null}
    </section>
  );
}
