/**
 * Calling Signet's ledger contracts from tests with software keys (dev and test
 * keys only): reads, transactions that must succeed (a revert throws with the
 * contracts' custom error decoded by name), events, and the signatures the
 * contracts accept (EIP-2612 permits, EIP-3009 authorisations, finance offers).
 */
import {
  type Abi,
  type Address,
  getAddress,
  type Hex,
  hashTypedData,
  parseEventLogs,
  parseSignature,
  type TransactionReceipt,
  toHex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { expect } from 'vitest';
import { loadArtifacts } from '../../ledger/compile.js';
import { devKeys } from '../../ledger/deploy.js';
import type { DevChainHandle } from './dev-chain.js';

export const artifacts = await loadArtifacts();
export const DAY = 86_400n;

export type Target = 'currency' | 'notes';

/** A fresh random 32-byte nonce (EIP-3009 authorisations, finance offers). */
export const nonce32 = (): Hex => toHex(crypto.getRandomValues(new Uint8Array(32)));

/** Errors of both contracts: a note call that fails inside the currency reverts with the currency's error. */
const allErrors = (abi: Abi): Abi => [
  ...abi,
  ...[...artifacts.DigitalCurrency.abi, ...artifacts.DigitalNote.abi].filter(
    (item) =>
      item.type === 'error' && !abi.some((own) => own.type === 'error' && own.name === item.name),
  ),
];

const permitTypes = {
  Permit: [
    { name: 'owner', type: 'address' },
    { name: 'spender', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

const authorizationFields = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
] as const;

const financeOfferTypes = {
  FinanceOffer: [
    { name: 'tokenId', type: 'uint256' },
    { name: 'value', type: 'uint256' },
    { name: 'bank', type: 'address' },
    { name: 'price', type: 'uint256' },
    { name: 'deadline', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

/**
 * Sends `functionName` to the contract as `key` and waits for it, which must succeed;
 * a revert throws naming the custom error when `abi` has it. Gas is estimated unless given.
 */
export async function sendConfirmed(
  ledger: DevChainHandle,
  key: Hex,
  { address, abi }: { address: Address; abi: Abi },
  functionName: string,
  args: readonly unknown[],
  gas?: bigint,
): Promise<TransactionReceipt> {
  const hash = await ledger.wallet(key).writeContract({
    address,
    abi,
    functionName,
    args,
    ...(gas === undefined ? {} : { gas }),
  });
  const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt;
}

export function chainContracts(ledger: DevChainHandle) {
  const contract = (target: Target) => ({
    address: ledger.profile.contracts[target] as Address,
    abi: (target === 'currency' ? artifacts.DigitalCurrency.abi : artifacts.DigitalNote.abi) as Abi,
  });

  async function read<T>(target: Target, functionName: string, args: readonly unknown[] = []) {
    return (await ledger.publicClient.readContract({
      ...contract(target),
      functionName,
      args,
    })) as T;
  }

  /**
   * Sends a transaction that must succeed; a revert throws with the custom error's name.
   * The gas limit is estimated unless `gas` fixes it.
   */
  async function send(
    key: Hex,
    target: Target,
    functionName: string,
    args: readonly unknown[] = [],
    { gas }: { gas?: bigint } = {},
  ): Promise<TransactionReceipt> {
    const { address, abi } = contract(target);
    return sendConfirmed(ledger, key, { address, abi: allErrors(abi) }, functionName, args, gas);
  }

  function events(receipt: TransactionReceipt, target: Target, eventName: string) {
    return parseEventLogs({ abi: contract(target).abi, logs: receipt.logs, eventName }).map(
      (log) => (log as unknown as { args: Record<string, unknown> }).args,
    );
  }

  const currencyDomain = () =>
    ({
      name: 'Signet Digital Currency',
      version: '1',
      chainId: ledger.profile.chainId,
      verifyingContract: ledger.profile.contracts.currency as Address,
    }) as const;

  /** An EIP-2612 permit signed by `ownerKey`; `args` fit the contract call. */
  async function permit(
    ownerKey: Hex,
    spender: Address,
    value: bigint,
    deadline?: bigint,
  ): Promise<readonly unknown[]> {
    const owner = privateKeyToAccount(ownerKey);
    deadline ??= (await ledger.now()) + DAY;
    const message = {
      owner: owner.address,
      spender,
      value,
      nonce: await read<bigint>('currency', 'nonces', [owner.address]),
      deadline,
    };
    const signature = parseSignature(
      await owner.signTypedData({
        domain: currencyDomain(),
        types: permitTypes,
        primaryType: 'Permit',
        message,
      }),
    );
    return [owner.address, spender, value, deadline, Number(signature.v), signature.r, signature.s];
  }

  /** An EIP-3009 authorisation signed with a software key; `args` fit the contract call. */
  async function authorization(
    signerKey: Hex,
    primaryType: 'TransferWithAuthorization' | 'ReceiveWithAuthorization',
    to: Address,
    value: bigint,
    overrides: { from?: Address; validAfter?: bigint; validBefore?: bigint } = {},
  ) {
    const signer = privateKeyToAccount(signerKey);
    const message = {
      from: overrides.from ?? signer.address,
      to,
      value,
      validAfter: overrides.validAfter ?? 0n,
      validBefore: overrides.validBefore ?? (await ledger.now()) + DAY,
      nonce: nonce32(),
    };
    const signature = parseSignature(
      await signer.signTypedData({
        domain: currencyDomain(),
        types: { [primaryType]: authorizationFields } as {
          TransferWithAuthorization: typeof authorizationFields;
        },
        primaryType: primaryType as 'TransferWithAuthorization',
        message,
      }),
    );
    return {
      nonce: message.nonce,
      args: [
        message.from,
        message.to,
        message.value,
        message.validAfter,
        message.validBefore,
        message.nonce,
        Number(signature.v),
        signature.r,
        signature.s,
      ] as readonly unknown[],
    };
  }

  /** A holder's finance offer (EIP-712) for `bank`; `message` and `signature` fit finance(). */
  async function financeOffer(
    signerKey: Hex,
    terms: { tokenId: bigint; value: bigint; bank: Address; price: bigint; deadline?: bigint },
  ) {
    const message = {
      tokenId: terms.tokenId,
      value: terms.value,
      bank: terms.bank,
      price: terms.price,
      deadline: terms.deadline ?? (await ledger.now()) + DAY,
      nonce: nonce32(),
    };
    const typed = {
      domain: {
        name: 'Signet Digital Note',
        version: '1',
        chainId: ledger.profile.chainId,
        verifyingContract: ledger.profile.contracts.notes as Address,
      },
      types: financeOfferTypes,
      primaryType: 'FinanceOffer',
      message,
    } as const;
    const signature = await privateKeyToAccount(signerKey).signTypedData(typed);
    return { message, signature, digest: hashTypedData(typed) };
  }

  /**
   * A second DigitalCurrency by the same central bank (dev key), with the seeded
   * operator appointed and the note contract as its system contract; not yet
   * accepted by the note contract.
   */
  async function deployCurrency() {
    const bank = ledger.wallet(devKeys.centralBank);
    const hash = await bank.deployContract({
      abi: artifacts.DigitalCurrency.abi,
      bytecode: artifacts.DigitalCurrency.bytecode,
    });
    const { contractAddress } = await ledger.publicClient.waitForTransactionReceipt({ hash });
    const address = getAddress(contractAddress!);
    const sendTo = async (key: Hex, functionName: string, args: readonly unknown[]) => {
      const tx = await ledger.wallet(key).writeContract({
        address,
        abi: allErrors(artifacts.DigitalCurrency.abi as Abi),
        functionName,
        args,
      });
      const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash: tx });
      expect(receipt.status).toBe('success');
    };
    const roleOf = (name: string) => read<Hex>('currency', name);
    await sendTo(devKeys.centralBank, 'grantRole', [
      await roleOf('OPERATOR_ROLE'),
      privateKeyToAccount(devKeys.operator).address,
    ]);
    await sendTo(devKeys.centralBank, 'grantRole', [
      await roleOf('SYSTEM_CONTRACT_ROLE'),
      ledger.profile.contracts.notes,
    ]);
    return { address, send: sendTo };
  }

  return {
    contract,
    deployCurrency,
    read,
    send,
    events,
    currencyDomain,
    permit,
    authorization,
    financeOffer,
    balance: (account: Address) => read<bigint>('currency', 'balanceOf', [account]),
    role: (name: 'CENTRAL_BANK_ROLE' | 'OPERATOR_ROLE' | 'SYSTEM_CONTRACT_ROLE' | 'ESCROW_ROLE') =>
      read<Hex>('currency', name),
  };
}
