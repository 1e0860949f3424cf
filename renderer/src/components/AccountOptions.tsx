import { useTranslation } from 'react-i18next';
import type { ApiResult } from '../../../core/api/methods.js';
import { shortHex } from '../format.js';

/** The options of a "which account signs" <select>: a prompt, then each account by name and address. */
export function AccountOptions({ accounts }: { accounts: ApiResult<'accounts.list'> | undefined }) {
  const { t } = useTranslation();
  return (
    <>
      <option value="">{t('send.chooseAccount')}</option>
      {(accounts ?? []).map((a) => (
        <option key={a.keyUri} value={a.keyUri}>
          {a.name} · {shortHex(a.address, 4)}
        </option>
      ))}
    </>
  );
}
