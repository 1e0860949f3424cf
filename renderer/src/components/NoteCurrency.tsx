/**
 * The currency a note is payable in: the ledger's own, or a contract the ledger
 * does not know, flagged, because such a note is not counted as money.
 */
import { useTranslation } from 'react-i18next';
import { shortHex } from '../format.js';
import { Badge } from './Panel.js';

export function NoteCurrency({ note }: { note: { currency: string; currencyKnown: boolean } }) {
  const { t } = useTranslation();
  if (note.currencyKnown) {
    return <span title={note.currency}>{t('notes.currencyOwn')}</span>;
  }
  return (
    <>
      <Badge tone="warn">{t('notes.currencyUnknown')}</Badge>{' '}
      <span className="mono" title={note.currency}>
        {shortHex(note.currency)}
      </span>
    </>
  );
}
