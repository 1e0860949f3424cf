/**
 * What a Ledger will show to confirm a signature it cannot decode (blind
 * signing): each transaction's hash, or EIP-712's domain and message hashes.
 * Shown in the review and again while the device waits, so the user compares
 * the device's screen with Signet's before pressing "Approve" there.
 */
import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';
import type { deviceConfirmSchema } from '../../../core/api/chain.js';

export type DeviceConfirm = z.infer<typeof deviceConfirmSchema>;

export function LedgerDeviceHashes({ confirm }: { confirm: DeviceConfirm }) {
  const { t } = useTranslation();
  const rows: Array<[string, string]> = confirm.typedData
    ? [
        [t('ledgerDevice.domainHash'), confirm.typedData.domainHash],
        [t('ledgerDevice.messageHash'), confirm.typedData.messageHash],
      ]
    : confirm.transactionHashes.map((hash, i) => [
        t('ledgerDevice.transactionHash', { n: i + 1 }),
        hash,
      ]);
  return (
    <dl className="facts device-hashes">
      {rows.map(([label, hash]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd className="mono">{hash}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** The review's note for a Ledger account: no PIN here, and the hashes to compare. */
export function LedgerDeviceReview({ confirm }: { confirm: DeviceConfirm }) {
  const { t } = useTranslation();
  return (
    <section className="device-confirm" aria-label={t('ledgerDevice.reviewTitle')}>
      <h3>{t('ledgerDevice.reviewTitle')}</h3>
      <p>{t('ledgerDevice.reviewIntro')}</p>
      <LedgerDeviceHashes confirm={confirm} />
    </section>
  );
}
