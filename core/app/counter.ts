/**
 * At the counter, from the UI (core/api/provisioning.ts `counterRequests`):
 * the review of a lost token's replacement, the replacement signed only with
 * that review's digest, and a locked PIN reset. The work is the CLI's
 * (`provision.replace` / `provision.unblock` in provisioning.ts, over
 * core/provisioning/counter.ts): these add the review, fix the mailer folder
 * to `<data dir>/pin-mailers/counter/` and reply with the mailer's file name.
 */
import { basename, join } from 'node:path';
import { encodeAbiParameters, getAddress, keccak256, parseAbi } from 'viem';
import { admitModule, withModule } from '../../native/pkcs11/token-access.js';
import { listTokens, type TokenDescription } from '../../native/pkcs11/tokens.js';
import { parsePkcs11Uri } from '../../native/pkcs11/uri.js';
import { SignetError } from '../api/errors.js';
import type { CounterReplacePreview } from '../api/provisioning.js';
import { parseAddress } from '../chain/address.js';
import { formatAmount } from '../chain/amount.js';
import { readAtBlock } from '../chain/read-at-block.js';
import { customerRefHash, normaliseCustomerRef } from '../customers/customer-ref.js';
import { pinnedBlock, readStanding, registeredCustomerRef } from '../customers/registry.js';
import { requireOwnCustomer } from '../provisioning/counter.js';
import { findAccount } from '../wallet/find-account.js';
import type { AppContext } from './app-context.js';
import type { Caller, Handlers } from './dispatcher.js';
import { provisionHandlers } from './provisioning.js';
import type { SyncDriver } from './sync-driver.js';

type CounterMethod =
  | 'provision.replacePreview'
  | 'provision.counterReplace'
  | 'provision.counterUnblock';

const noteCountAbi = parseAbi(['function balanceOf(address owner) view returns (uint256)']);

interface ReplaceFields {
  customer: string;
  lost: string;
  token: string;
  operator: string;
  language: 'en' | 'zh-CN';
  name?: string | undefined;
}

/** Where the counter's PIN mailers go: the data folder's, never a folder the page names. */
export function counterMailerDir(home: string): string {
  return join(home, 'pin-mailers', 'counter');
}

export function counterHandlers(
  context: AppContext,
  sync: SyncDriver,
): Pick<Handlers, CounterMethod> {
  const cli = provisionHandlers(context, sync);
  const mailers = () => counterMailerDir(context.home);

  /** The module of the new token: its URI's, else the operator key's (as the CLI's). */
  const moduleFor = (caller: Caller, token: string, operator?: string) => {
    const path =
      (token.startsWith('pkcs11:') ? parsePkcs11Uri(token).modulePath : undefined) ??
      (operator ? parsePkcs11Uri(operator).modulePath : undefined);
    if (!path) {
      throw new SignetError(
        'INVALID_ARGUMENT',
        'choose the token from the list (its pkcs11: URI names its module)',
        { details: { field: 'token', reason: 'module-unknown' } },
      );
    }
    return admitModule(path, context.search(caller));
  };

  const preview = async (
    request: ReplaceFields,
    caller: Caller,
  ): Promise<CounterReplacePreview> => {
    const customer = normaliseCustomerRef(request.customer);
    const refHash = customerRefHash(customer);
    const lost = parseAddress(request.lost, 'lost');
    const operator = getAddress(findAccount(context.store(), request.operator).address);
    const token = await findNewToken(
      moduleFor(caller, request.token, request.operator),
      request.token,
    );
    const profile = context.profile();
    const rpc = context.rpc(profile);
    const block = await pinnedBlock(rpc);
    const standing = await readStanding(rpc, profile, lost, block);
    // The engine's refusals, said before the review rather than after the PINs.
    requireOwnCustomer(
      lost,
      customer,
      operator,
      standing,
      await registeredCustomerRef(rpc, profile, lost, block),
    );
    const notes = await readAtBlock<bigint>(
      rpc,
      {
        to: profile.contracts.notes,
        abi: noteCountAbi,
        functionName: 'balanceOf',
        args: [lost],
      },
      block,
      true,
    );
    const review = {
      chainId: profile.chainId,
      customer,
      customerRefHash: refHash,
      lost,
      lostFrozen: standing.frozen,
      balance: formatAmount(standing.balance),
      notes: Number(notes),
      operator,
      newToken: {
        serial: token.serial,
        label: token.label,
        initialized: token.flags.tokenInitialized,
      },
    };
    return { ...review, block, reviewDigest: replaceDigest(review, request) };
  };

  return {
    'provision.replacePreview': (request, caller) => preview(request, caller),
    'provision.counterReplace': async (request, caller) => {
      // Before any PIN is asked for or the token opened: the replacement reviewed is this one.
      const review = await preview(request, caller);
      if (request.reviewDigest.toLowerCase() !== review.reviewDigest) {
        throw new SignetError(
          'REVIEW_STALE',
          'the lost account or the new token changed since you reviewed; review again',
          {
            details: { reviewed: request.reviewDigest.toLowerCase(), current: review.reviewDigest },
          },
        );
      }
      const done = await cli['provision.replace'](
        {
          customer: review.customer,
          lost: review.lost,
          token: request.token,
          operator: request.operator,
          mailers: mailers(),
          language: request.language,
          name: request.name,
        },
        caller,
      );
      return {
        review,
        replacement: done.replacement,
        tokenSerial: done.tokenSerial,
        done: done.done,
        mailer: basename(done.mailer),
      };
    },
    'provision.counterUnblock': async (request, caller) => {
      moduleFor(caller, request.token);
      const done = await cli['provision.unblock'](
        {
          token: request.token,
          customer: request.customer,
          mailers: mailers(),
          language: request.language,
          name: request.name,
        },
        caller,
      );
      return { tokenSerial: done.tokenSerial, mailer: basename(done.mailer) };
    },
  };
}

/** The new token by its serial, or the URI's serial or label (as the engine finds it). */
async function findNewToken(modulePath: string, text: string): Promise<TokenDescription> {
  const uri = text.startsWith('pkcs11:') ? parsePkcs11Uri(text) : undefined;
  const serial = uri ? uri.serial : text;
  const token = await withModule(modulePath, (module) =>
    listTokens(module).find((t) =>
      serial ? t.serial === serial : uri?.token !== undefined && t.label === uri.token,
    ),
  );
  if (!token) {
    throw new SignetError('TOKEN_NOT_FOUND', `no token ${text} is inserted`, {
      details: { field: 'token' },
    });
  }
  return token;
}

/** One keccak-256 over everything the review showed (the block it was read at aside). */
function replaceDigest(
  review: Omit<CounterReplacePreview, 'block' | 'reviewDigest'>,
  request: Pick<ReplaceFields, 'language' | 'name'>,
) {
  const facts = JSON.stringify([
    review.chainId,
    review.customerRefHash,
    review.lost,
    review.lostFrozen,
    review.balance,
    review.notes,
    review.operator,
    review.newToken.serial,
    review.newToken.label,
    review.newToken.initialized,
    request.language,
    request.name ?? null,
  ]);
  return keccak256(
    encodeAbiParameters(
      [{ type: 'string' }, { type: 'string' }],
      ['signet-counter-replace-1', facts],
    ),
  );
}
