/**
 * Core speaks to the contracts through hand-written signatures (core/chain/abi.ts,
 * revert.ts) so that it never loads compiler output at run time. This checks each
 * of them against what solc compiled from ledger/contracts.
 */
import { readFileSync } from 'node:fs';
import { type AbiParameter, toFunctionSelector } from 'viem';
import { describe, expect, it } from 'vitest';
import { currencyAbi, financeOfferTypes, notesAbi } from '../core/chain/abi.js';
import {
  executeTypes,
  legacySignatureValidatorAbi,
  messageTypes,
  p256AccountAbi,
  p256AccountFactoryAbi,
} from '../core/chain/p256-account.js';
import { chainErrorsAbi } from '../core/chain/revert.js';
import { offlinePurseAbi } from '../core/purse/abi.js';
import { purseTypes } from '../core/purse/typed-data.js';
import { noteEventsAbi } from '../core/sync/events.js';
import { loadArtifacts } from '../ledger/compile.js';

const compiled = await loadArtifacts();
type Param = AbiParameter & { indexed?: boolean; components?: readonly Param[] };
type Item = { type: string; name?: string; inputs?: readonly Param[]; outputs?: readonly Param[] };

/** Types only (names differ: Solv's ERC-3525 says `_from`), with indexed positions and outputs. */
function canonicalType(param: Param): string {
  const base = param.type.startsWith('tuple')
    ? `(${(param.components ?? []).map(canonicalType).join(',')})${param.type.slice(5)}`
    : param.type;
  return param.indexed ? `${base} indexed` : base;
}

function signature(item: Item): string {
  const inputs = (item.inputs ?? []).map(canonicalType).join(',');
  const outputs = item.outputs?.length
    ? ` returns (${item.outputs.map(canonicalType).join(',')})`
    : '';
  return `${item.type} ${item.name}(${inputs})${outputs}`;
}

const signatures = (abi: readonly unknown[]) =>
  new Set(
    (abi as Item[]).filter((i) => ['function', 'event', 'error'].includes(i.type)).map(signature),
  );

describe('core/chain ABIs match the compiled contracts', () => {
  it.each([
    ['DigitalCurrency', currencyAbi],
    ['DigitalNote', notesAbi],
    ['DigitalNote', noteEventsAbi],
    ['P256Account', p256AccountAbi],
    ['P256Account', legacySignatureValidatorAbi],
    ['P256AccountFactory', p256AccountFactoryAbi],
    ['OfflinePurse', offlinePurseAbi],
  ] as const)('%s has every entry core uses', (contract, abi) => {
    const available = signatures(compiled[contract].abi);
    for (const item of signatures(abi)) expect(available, item).toContain(item);
  });

  it('every custom error core decodes exists in one of the contracts', () => {
    const available = new Set([
      ...signatures(compiled.DigitalCurrency.abi),
      ...signatures(compiled.DigitalNote.abi),
      ...signatures(compiled.P256Account.abi),
      ...signatures(compiled.P256AccountFactory.abi),
      ...signatures(compiled.OfflinePurse.abi),
    ]);
    for (const item of signatures(chainErrorsAbi)) expect(available, item).toContain(item);
  });

  it('the finance offer type matches the contract typehash', () => {
    const fields = financeOfferTypes.FinanceOffer.map((f) => `${f.type} ${f.name}`).join(',');
    const abi = compiled.DigitalNote.abi as Item[];
    expect(abi.some((i) => i.name === 'FINANCE_OFFER_TYPEHASH')).toBe(true);
    // The contract hashes exactly this string; a field added on one side only breaks offers.
    expect(toFunctionSelector(`FinanceOffer(${fields})`)).toMatch(/^0x/);
    expect(fields).toBe(
      'uint256 tokenId,uint256 value,address bank,uint256 price,uint256 deadline,bytes32 nonce',
    );
  });

  it("the P-256 account's typed data are the types its contract hashes", () => {
    const source = readFileSync('ledger/contracts/P256Account.sol', 'utf8');
    for (const [name, fields] of Object.entries({ ...executeTypes, ...messageTypes })) {
      const type = `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`;
      expect(source).toContain(`keccak256("${type}")`);
    }
  });

  it("the purse's typed data (core/purse/typed-data.ts) are the types its contract hashes", () => {
    const source = readFileSync('ledger/contracts/OfflinePurse.sol', 'utf8');
    for (const [name, fields] of Object.entries(purseTypes)) {
      const type = `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`;
      expect(source).toContain(`"${type}"`);
    }
  });
});
