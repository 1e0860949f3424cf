/**
 * A note operation as the API receives it (core/api/notes.ts), turned into
 * what the wallet signs: contract calls, or for a finance offer the EIP-712
 * typed data. The preview and the execution both start here. Only accepting a
 * finance offer asks the nodes (`context.rpc`, when given), for the note it sells.
 */
import type { NoteOperation } from '../api/notes.js';
import { parseAddress } from '../chain/address.js';
import { parseAmount } from '../chain/amount.js';
import {
  acceptFinanceOfferCalls,
  endorseNoteCalls,
  financeOfferTypedData,
  issueNoteCalls,
  type NoteContext,
  type PlannedCalls,
  redeemNoteCalls,
  splitNoteCalls,
} from '../wallet/note-calls.js';

export type PlannedNoteOperation =
  | ({ kind: 'calls' } & PlannedCalls)
  | ({ kind: 'typed-data' } & ReturnType<typeof financeOfferTypedData>);

/** A calendar day from the API (already checked to exist), at a time of that day in UTC. */
const utc = (day: string, time: string) => new Date(`${day}T${time}Z`);

export async function planNoteOperation(
  context: NoteContext,
  operation: NoteOperation,
): Promise<PlannedNoteOperation> {
  const calls = (planned: PlannedCalls) => ({ kind: 'calls' as const, ...planned });
  switch (operation.op) {
    case 'issue':
      return calls(
        issueNoteCalls(
          context,
          operation.from,
          parseAddress(operation.payee, 'payee'),
          parseAmount(operation.faceValue),
          utc(operation.maturity, '00:00:00'),
        ),
      );
    case 'endorse':
      return calls(
        endorseNoteCalls(
          context,
          operation.from,
          BigInt(operation.tokenId),
          parseAddress(operation.to, 'new holder'),
        ),
      );
    case 'split':
      return calls(
        splitNoteCalls(
          context,
          operation.from,
          BigInt(operation.tokenId),
          parseAddress(operation.to, 'recipient'),
          parseAmount(operation.value),
        ),
      );
    case 'redeem':
      return calls(redeemNoteCalls(context, operation.from, BigInt(operation.tokenId)));
    case 'finance-offer':
      return {
        kind: 'typed-data',
        ...financeOfferTypedData(
          context,
          operation.from,
          {
            tokenId: BigInt(operation.tokenId),
            bank: parseAddress(operation.bank, 'bank'),
            value: operation.value === undefined ? undefined : parseAmount(operation.value),
            price: parseAmount(operation.price),
            // The bank may accept until the end of the deadline day.
            deadline: utc(operation.deadline, '23:59:59'),
          },
          operation.nonce as `0x${string}` | undefined,
        ),
      };
    case 'finance-accept':
      return calls(await acceptFinanceOfferCalls(context, operation.from, operation.offer));
  }
}
