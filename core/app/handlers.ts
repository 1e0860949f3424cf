/**
 * One handler per operation of Signet's contract (core/api): the UI's methods
 * and the operator's. The UI (through Electron IPC or the browser bridge) and
 * the `signet` command (in-process) both reach these and nothing else, so each
 * operation's checks, its sign-then-sync and its parsing exist once.
 */
import type { Hex } from 'viem';
import { identifyLedgerDevices } from '../../native/hid/device-list.js';
import { formatLedgerDeviceUri } from '../../native/hid/uri.js';
import { SignetError } from '../api/errors.js';
import { parseAddress } from '../chain/address.js';
import { parseAmount } from '../chain/amount.js';
import { runDoctor } from '../diagnostics/doctor.js';
import { listAccounts } from '../store/accounts.js';
import {
  addAddressBookEntry,
  listAddressBook,
  removeAddressBookEntry,
  renameAddressBookEntry,
} from '../store/address-book.js';
import { exportAuditCsv, listAudit, verifyAuditChain } from '../store/audit-log.js';
import { listHistory } from '../store/history.js';
import { listOutbox } from '../store/outbox.js';
import type { AppContext } from './app-context.js';
import { counterHandlers } from './counter.js';
import { customerHandlers } from './customers.js';
import type { Handlers } from './dispatcher.js';
import { previewNote, previewSend } from './preview.js';
import { provisionUiHandlers } from './provision-ui.js';
import { provisionHandlers } from './provisioning.js';
import { purseHandlers } from './purse.js';
import { balanceRows, chainStatus, heldNoteRows } from './read-models.js';
import { planNote, planSend, requireReviewed } from './signing-plan.js';
import type { SyncDriver } from './sync-driver.js';
import { treasuryHandlers } from './treasury.js';
import { treasuryBatchHandlers } from './treasury-batch.js';
import { treasuryNoteHandlers } from './treasury-note.js';
import { treasuryOwnersHandlers } from './treasury-owners.js';
import { treasuryQrHandlers } from './treasury-qr.js';
import { historyRow, outboxRow } from './views.js';

export function createHandlers(context: AppContext, sync: SyncDriver): Handlers {
  const address = (text: string | undefined) =>
    text === undefined ? undefined : parseAddress(text, 'account');

  return {
    'app.info': async () => {
      try {
        const p = context.profile();
        return { ledger: { name: p.name, chainId: p.chainId, dev: p.dev }, chainProblem: null };
      } catch (error) {
        if (!(error instanceof SignetError)) throw error;
        return { ledger: null, chainProblem: error.message };
      }
    },
    'accounts.list': async () => listAccounts(context.store()),
    // The URI is Signet's, built from the device id and index the page chose: parsed strictly.
    'accounts.addLedgerDevice': (request, caller) =>
      context.wallet(context.profile(), caller).addAccount(
        formatLedgerDeviceUri({
          device: parseAddress(request.device, 'device id'),
          account: request.account,
        }),
        request.name,
      ),
    'accounts.balances': async (request) =>
      balanceRows(context.store(), context.profile().chainId, address(request.address)),
    'notes.list': async (request) =>
      heldNoteRows(context.store(), context.profile(), address(request.address)),
    'history.page': async (request) => {
      const { chainId } = context.profile();
      const rows = listHistory(context.store(), chainId, {
        address: address(request.address),
        limit: request.limit,
        before: request.before,
      });
      const last = rows.at(-1);
      return {
        rows: rows.map(historyRow),
        next:
          last && rows.length === request.limit
            ? { blockNumber: last.blockNumber, logIndex: last.logIndex }
            : null,
      };
    },
    'outbox.list': async () =>
      listOutbox(context.store(), context.profile().chainId).map(outboxRow),
    'ledger.status': async () => {
      const p = context.profile();
      return chainStatus(context.store(), p, context.rpc(p));
    },
    'sync.run': async () => {
      const p = context.profile();
      return { ...(await sync.syncOnce(p)), nodes: context.rpc(p).status() };
    },
    'audit.list': async (request) => ({
      entries: listAudit(context.store(), {
        search: request.search,
        limit: request.limit,
        offset: request.offset,
      }),
    }),
    'audit.verify': async () => verifyAuditChain(context.store()),
    'wallet.previewSend': async (request) =>
      previewSend(
        context.store(),
        context.profile(),
        request.from,
        parseAddress(request.to, 'recipient'),
        parseAmount(request.amount),
        request.carrier,
      ),
    'wallet.send': async (request, caller) => {
      const p = context.profile();
      const plan = planSend(
        context.store(),
        p,
        request.from,
        parseAddress(request.to, 'recipient'),
        parseAmount(request.amount),
        request.carrier,
      );
      // Before the token is opened: no PIN used, nothing signed, nothing queued.
      requireReviewed(caller.origin, request.reviewDigest, plan);
      const reviewDigest = digestToRecord(request.reviewDigest, plan);
      const queued = await context.wallet(p, caller).queue({ ...plan, reviewDigest });
      return sync.afterSigning(p, queued, request.offline);
    },
    // Accepting a finance offer reads the note it sells from the nodes, unless offline.
    'notes.preview': async (request) => {
      const p = context.profile();
      return previewNote(
        { store: context.store(), profile: p, rpc: request.offline ? undefined : context.rpc(p) },
        request.operation,
        request.carrier,
      );
    },
    'notes.execute': async (request, caller) => {
      const p = context.profile();
      const plan = await planNote(
        { store: context.store(), profile: p, rpc: request.offline ? undefined : context.rpc(p) },
        request.operation,
        request.carrier,
      );
      requireReviewed(caller.origin, request.reviewDigest, plan);
      const wallet = context.wallet(p, caller);
      const reviewDigest = digestToRecord(request.reviewDigest, plan);
      if (plan.kind === 'typed-data') {
        // An offer is a signature handed to the bank: nothing to send.
        const offer = await wallet.signOffer({ ...plan, reviewDigest });
        return { transactions: [], offer, sync: null };
      }
      const queued = await wallet.queue({ ...plan, reviewDigest });
      return { ...(await sync.afterSigning(p, queued, request.offline)), offer: null };
    },
    'addressBook.list': async () => listAddressBook(context.store()),
    'addressBook.add': async (request) => {
      const address = parseAddress(request.address, 'address');
      refuseChainContract(context, address);
      return addAddressBookEntry(context.store(), { address, name: request.name });
    },
    'addressBook.rename': async (request) =>
      renameAddressBookEntry(
        context.store(),
        parseAddress(request.address, 'address'),
        request.name,
      ),
    'addressBook.remove': async (request) =>
      removeAddressBookEntry(context.store(), parseAddress(request.address, 'address')),
    'devices.listModules': (request, caller) => context.devices(caller).listModules(request),
    'devices.listHid': async () => identifyLedgerDevices(context.hid),
    'devices.listTokens': (request, caller) => context.devices(caller).listTokens(request),
    'devices.initToken': (request, caller) => context.devices(caller).initToken(request),
    'devices.changePin': (request, caller) => context.devices(caller).changePin(request),
    'devices.unblockPin': (request, caller) => context.devices(caller).unblockPin(request),
    'devices.listKeys': (request, caller) => context.devices(caller).listKeys(request),
    'devices.generateKey': (request, caller) => context.devices(caller).generateKey(request),
    'devices.deleteKey': (request, caller) => context.devices(caller).deleteKey(request),
    // Reads only: never the store through context.store() (which migrates), nor the config
    // through readConfig (which closes its mode): the report says how things are.
    'doctor.run': () => runDoctor({ home: context.home, env: context.env, hid: context.hid }),

    // The operator's (CLI only: never bound to IPC or the bridge).
    'devices.sign': (request, caller) => context.devices(caller).sign(request),
    'accounts.add': (request, caller) =>
      context.wallet(context.profile(), caller).addAccount(request.key, request.name),
    'audit.export': async () => ({ csv: exportAuditCsv(context.store()) }),
    // Treasuries: the UI's, and the operator's treasury.policy.set.
    ...treasuryHandlers(context, sync),
    ...treasuryBatchHandlers(context),
    ...treasuryOwnersHandlers(context),
    ...treasuryNoteHandlers(context),
    ...treasuryQrHandlers(context),
    // The operator bank's customer registry.
    ...customerHandlers(context, sync),
    ...purseHandlers(context, sync),
    ...provisionHandlers(context, sync),
    ...provisionUiHandlers(context, sync),
    // At the counter, from the UI: reviewed first, mailers in the data folder.
    ...counterHandlers(context, sync),
  };
}

/**
 * The review digest the audit entry records: the plan's, only when the request
 * carried one (a review was shown, and requireReviewed found it matches). A
 * CLI request names none: nothing was reviewed, and its entry says so by
 * having no digest.
 */
function digestToRecord(reviewed: string | undefined, plan: { reviewDigest: Hex }) {
  return reviewed === undefined ? undefined : plan.reviewDigest;
}

/**
 * The active ledger's contracts are named by their role on every review; an
 * address book name for one would only compete with that. (No ledger selected:
 * nothing to compare with; the role still wins when one is.)
 */
function refuseChainContract(context: AppContext, address: string): void {
  let contracts: Record<string, string>;
  try {
    contracts = context.profile().contracts;
  } catch (error) {
    if (error instanceof SignetError) return;
    throw error;
  }
  const role = Object.entries(contracts).find(
    ([, contract]) => contract.toLowerCase() === address.toLowerCase(),
  )?.[0];
  if (role) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `${address} is the ledger's ${role} contract; reviews name it so already`,
      { details: { reason: 'chain-contract', address, role } },
    );
  }
}
