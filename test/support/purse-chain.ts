/**
 * The offline purse contract from tests, with software keys (dev and test keys
 * only): certificates signed by a certificate key, vouchers signed by a purse key
 * (core/purse/typed-data.ts's types, via viem local accounts), opening a purse
 * (approve + open with the certificate's terms: the contract takes no signature and
 * checks the operator's purse policy), settling, and reading a purse's state. A payer's chain of
 * vouchers is built by `voucherChain`, so tests can also sign dishonest ones.
 */
import {
  type Abi,
  type Address,
  type Hex,
  parseEventLogs,
  type TransactionReceipt,
  zeroHash,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { currencyAbi } from '../../core/chain/abi.js';
import { offlinePurseAbi, purseTerms } from '../../core/purse/abi.js';
import {
  type PurseCertificate,
  type PurseDomain,
  type Voucher,
  voucherHash,
} from '../../core/purse/typed-data.js';
import { artifacts, sendConfirmed } from './chain-contracts.js';
import type { DevChainHandle } from './dev-chain.js';
import { signVoucher as signPurseVoucher, signCertificate as signWith } from './purse.js';

/** The purse contract's ABI with the currency's errors, so reverts decode by name. */
export const purseCallAbi = [
  ...offlinePurseAbi,
  ...artifacts.DigitalCurrency.abi.filter((item) => item.type === 'error'),
] as Abi;

export interface PurseState {
  owner: Address;
  operator: Address;
  locked: bigint;
  cap: bigint;
  maxCount: number;
  validFrom: bigint;
  validUntil: bigint;
  epoch: number;
  paid: bigint;
  fromGuarantee: bigint;
  frozen: boolean;
  closed: boolean;
}

export interface SignedVoucher {
  voucher: Voucher;
  signature: Hex;
  hash: Hex;
}

export function purseChain(ledger: DevChainHandle) {
  const purseAddress = () => ledger.profile.contracts.offlinePurse as Address;
  const currencyAddress = () => ledger.profile.contracts.currency as Address;
  const domain = (): PurseDomain => ({
    chainId: ledger.profile.chainId,
    verifyingContract: purseAddress(),
  });

  async function readPurse<T>(functionName: string, args: readonly unknown[] = []) {
    return (await ledger.publicClient.readContract({
      address: purseAddress(),
      abi: offlinePurseAbi,
      functionName: functionName as 'grace',
      args: args as [],
    })) as T;
  }

  /** Sends to the purse contract; must succeed (a revert throws naming the custom error). */
  async function sendPurse(
    key: Hex,
    functionName: string,
    args: readonly unknown[],
    { gas }: { gas?: bigint } = {},
  ): Promise<TransactionReceipt> {
    const contract = { address: purseAddress(), abi: purseCallAbi };
    return sendConfirmed(ledger, key, contract, functionName, args, gas);
  }

  async function sendCurrency(key: Hex, functionName: string, args: readonly unknown[]) {
    const contract = { address: currencyAddress(), abi: artifacts.DigitalCurrency.abi as Abi };
    return sendConfirmed(ledger, key, contract, functionName, args);
  }

  const balance = async (account: Address) =>
    ledger.publicClient.readContract({
      address: currencyAddress(),
      abi: currencyAbi,
      functionName: 'balanceOf',
      args: [account],
    });

  async function purseOf(purse: Address): Promise<PurseState> {
    return readPurse<PurseState>('purseOf', [purse]);
  }

  /** Signs a certificate with `certificateKey` (EIP-712, the purse domain of this ledger). */
  const signCertificate = (certificateKey: Hex, certificate: PurseCertificate) =>
    signWith(privateKeyToAccount(certificateKey), domain(), certificate);

  async function signVoucher(purseKey: Hex, voucher: Voucher): Promise<SignedVoucher> {
    const signature = await signPurseVoucher(privateKeyToAccount(purseKey), domain(), voucher);
    return { voucher, signature, hash: voucherHash(domain(), voucher) };
  }

  /**
   * A certificate for a fresh purse key of `owner` (its next epoch), valid from now for
   * `days` days; fields in `overrides` replace the defaults.
   */
  async function certificateFor(
    owner: Address,
    operator: Address,
    overrides: Partial<PurseCertificate> = {},
  ) {
    const purseKey = generatePrivateKey();
    const now = await ledger.now();
    const certificate: PurseCertificate = {
      purse: privateKeyToAccount(purseKey).address,
      owner,
      locked: 100_00n,
      cap: 50_00n,
      maxCount: 10,
      validFrom: now - 60n,
      validUntil: now + 7n * 86_400n,
      operator,
      epoch: await readPurse<number>('epochOf', [owner]),
      ...overrides,
    };
    return { purseKey, certificate };
  }

  /** Approves and opens a purse as its owner, on the certificate's terms (its operator is not sent). */
  async function openPurse(ownerKey: Hex, certificate: PurseCertificate) {
    await sendCurrency(ownerKey, 'approve', [purseAddress(), certificate.locked]);
    return sendPurse(ownerKey, 'open', [purseTerms(certificate)]);
  }

  /** Sets `operatorKey`'s purse policy (the largest purse its customers may open). */
  function setPolicy(
    operatorKey: Hex,
    policy: { maxLocked: bigint; maxCap: bigint; maxCount: number; maxValidity: bigint },
  ) {
    return sendPurse(operatorKey, 'setPursePolicy', [
      policy.maxLocked,
      policy.maxCap,
      policy.maxCount,
      policy.maxValidity,
    ]);
  }

  /**
   * A purse key's honest chain of vouchers: each `pay` signs the next counter, adds to
   * the running total and names the previous voucher's hash.
   */
  function voucherChain(purseKey: Hex, certificate: PurseCertificate) {
    let counter = 0;
    let cumulative = 0n;
    let prev: Hex = zeroHash;
    return {
      async pay(payee: Address, amount: bigint, issuedAt?: bigint): Promise<SignedVoucher> {
        const voucher: Voucher = {
          purse: certificate.purse,
          epoch: certificate.epoch,
          payee,
          amount,
          counter: counter + 1,
          cumulative: cumulative + amount,
          prevVoucherHash: prev,
          issuedAt: issuedAt ?? certificate.validFrom + 60n,
        };
        const signed = await signVoucher(purseKey, voucher);
        counter = voucher.counter;
        cumulative = voucher.cumulative;
        prev = signed.hash;
        return signed;
      },
    };
  }

  /** Settles signed vouchers in one transaction (anyone may: `key` pays the gas). */
  function settle(key: Hex, vouchers: readonly SignedVoucher[], options: { gas?: bigint } = {}) {
    return sendPurse(
      key,
      'settle',
      [vouchers.map((v) => v.voucher), vouchers.map((v) => v.signature)],
      options,
    );
  }

  type EventName = Extract<(typeof offlinePurseAbi)[number], { type: 'event' }>['name'];
  function events(receipt: TransactionReceipt, eventName: EventName) {
    return parseEventLogs({ abi: offlinePurseAbi, logs: receipt.logs, eventName }).map(
      (log) => (log as unknown as { args: Record<string, unknown> }).args,
    );
  }

  return {
    address: purseAddress,
    domain,
    read: readPurse,
    send: sendPurse,
    sendCurrency,
    balance,
    purseOf,
    signCertificate,
    signVoucher,
    certificateFor,
    openPurse,
    setPolicy,
    voucherChain,
    settle,
    events,
  };
}
