/**
 * `treasury.proposeOwners`: an owner or threshold change by the treasury, made
 * as a proposal like any payment (core/chain/safe.ts ownerChangeCall builds the
 * call). removeOwner and swapOwner name the owner before the one they change in
 * Safe's linked list, so the order matters: online it is the chain's
 * getOwners(); offline the stored owners', which are kept in that order (setup
 * order at creation, the chain's whenever it is read: recordChainState). A
 * stale store offline yields a bundle whose owners the chain no longer has:
 * refused at approval online, at merge and at execution.
 */
import { type Address, getAddress } from 'viem';
import { SignetError } from '../api/errors.js';
import { parseAddress } from '../chain/address.js';
import { type OwnerChange, ownerChangeCall } from '../chain/safe.js';
import { recordChainState, requireTreasury } from '../store/treasuries.js';
import { decodeOwnerChange } from '../treasury/owner-change.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import { requireNoSignWith, writeProposal } from './treasury.js';
import { chainClient, deployedState, onChain } from './treasury-chain.js';

export function treasuryOwnersHandlers(
  context: AppContext,
): Pick<Handlers, 'treasury.proposeOwners'> {
  return {
    'treasury.proposeOwners': async (request, caller) => {
      requireNoSignWith(caller, request.signWith);
      const p = context.profile();
      const store = context.store();
      let treasury = requireTreasury(store, p.chainId, request.treasury);
      let nonce = max(treasury.chainNonce, treasury.nextProposal);
      if (!request.offline) {
        const state = await onChain(deployedState(chainClient(context.rpc(p)), p, treasury));
        if (state) {
          treasury = recordChainState(store, treasury, state).treasury;
          nonce = max(state.nonce, treasury.nextProposal);
        }
      }
      const change = ownerChange(request.change, treasury);
      // Refuses a non-owner, an owner twice, a threshold of 0 or above the owners, with a reason.
      const made = ownerChangeCall(treasury.address, treasury, change, nonce);
      const description =
        request.description ??
        capitalised(decodeOwnerChange(treasury.address, treasury, made.tx)?.words ?? '');
      return writeProposal(context, caller, treasury, { tx: made.tx, description }, request);
    },
  };
}

type ChangeRequest = Parameters<Handlers['treasury.proposeOwners']>[0]['change'];

/** The request as ownerChangeCall takes it: an add keeps the threshold, a remove keeps it if it can. */
function ownerChange(
  request: ChangeRequest,
  current: { owners: readonly Address[]; threshold: number },
): OwnerChange {
  switch (request.kind) {
    case 'add':
      return {
        kind: 'add',
        owner: parseAddress(request.owner, 'owner'),
        threshold: request.threshold ?? current.threshold,
      };
    case 'remove':
      return {
        kind: 'remove',
        owner: parseAddress(request.owner, 'owner'),
        threshold:
          request.threshold ?? Math.max(1, Math.min(current.threshold, current.owners.length - 1)),
      };
    case 'swap': {
      const oldOwner = parseAddress(request.old, 'owner');
      const newOwner = parseAddress(request.new, 'owner');
      if (getAddress(oldOwner) === getAddress(newOwner)) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          `swapping ${oldOwner} for itself changes nothing`,
          {
            details: { reason: 'owner-duplicate' },
          },
        );
      }
      return { kind: 'swap', oldOwner, newOwner };
    }
    case 'threshold':
      if (request.threshold === current.threshold) {
        throw new SignetError(
          'INVALID_ARGUMENT',
          `the threshold is ${current.threshold} already: nothing to change`,
          { details: { reason: 'threshold-unchanged' } },
        );
      }
      return { kind: 'threshold', threshold: request.threshold };
  }
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const max = (a: bigint, b: bigint) => (a > b ? a : b);
