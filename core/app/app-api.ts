/**
 * The server side of Signet's API contract (core/api/methods.ts): one
 * `dispatch(method, params)` that the Electron main process, the loopback
 * browser bridge and any other boundary call. Every request is validated on
 * the way in (a bad one is one INVALID_ARGUMENT line) and every result on the
 * way out (a result that breaks the contract is an INTERNAL error, never sent
 * raw). Errors leave as SignetError.toJSON(); anything else thrown becomes a
 * generic INTERNAL error, its text kept for `onInternalError` only.
 *
 * The store is opened on first use and closed by close(). The ledger profile
 * is read per request, so device methods work with no ledger selected and a
 * `signet ledger use` in another process is picked up. Only sync.run,
 * wallet.send and notes.execute (unless offline), and a preview of accepting a
 * finance offer for a note the store does not know, talk to the nodes.
 */
import { join } from 'node:path';
import type { PinProvider } from '../../native/pin.js';
import { type ErrorCode, SignetError } from '../api/errors.js';
import { type ApiEvent, apiEventSchema } from '../api/events.js';
import type { ChainProfile } from '../api/profile.js';
import type { ApiDispatch } from '../api/transport.js';
import { parseAddress } from '../chain/address.js';
import { parseAmount } from '../chain/amount.js';
import { readActiveProfile } from '../chain/profile-file.js';
import { readConfig } from '../config/config.js';
import { DeviceService } from '../devices/device-service.js';
import { RpcPool } from '../rpc/rpc-pool.js';
import { listAccounts } from '../store/accounts.js';
import { listAudit, verifyAuditChain } from '../store/audit-log.js';
import { openStore, type Store } from '../store/database.js';
import { listHistory } from '../store/history.js';
import { listOutbox, type OutboxTx } from '../store/outbox.js';
import { SyncEngine, type SyncReport } from '../sync/sync-engine.js';
import { Wallet } from '../wallet/wallet.js';
import { createDispatcher, type DispatchHandlers, type Handlers } from './dispatcher.js';
import { planNoteOperation } from './note-operation.js';
import { previewNote, previewSend } from './preview.js';
import { balanceRows, chainStatus, heldNoteRows } from './read-models.js';
import { historyRow, outboxRow } from './views.js';

export interface AppApiOptions {
  /** Signet's data directory (store, profile.json, config.json). */
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Store path; default `signet.sqlite` in home. Tests may pass ':memory:'. */
  storePath?: string;
  /** Told about every error that reached the caller as a generic INTERNAL one (for a log). */
  onInternalError?: (method: string, error: unknown) => void;
  /**
   * Told about events for the UI (sync progress, the nodes' state after a
   * sync), each validated against core/api/events.ts first. Electron main sends
   * them to the window, the browser bridge to its event stream.
   */
  onEvent?: (event: ApiEvent) => void;
}

export interface AppApi {
  dispatch: ApiDispatch;
  close(): void;
}

export function createAppApi(options: AppApiOptions): AppApi {
  // Every path below (config, profile) resolves inside `home`.
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env), SIGNET_HOME: options.home };
  let store: Store | undefined;
  let closed = false;
  let pool: { key: string; pool: RpcPool } | undefined;
  let syncing: Promise<SyncReport> | undefined;

  const openedStore = (): Store => {
    if (closed) throw new SignetError('INTERNAL', 'the Signet API is closed');
    store ??= openStore(options.storePath ?? join(options.home, 'signet.sqlite'));
    return store;
  };
  const profile = (): ChainProfile => readActiveProfile(env);
  const rpc = (p: ChainProfile): RpcPool => {
    const key = JSON.stringify([p.chainId, p.rpc]);
    if (pool?.key !== key) {
      pool = {
        key,
        pool: new RpcPool({ urls: p.rpc, chainId: p.chainId, timeoutMs: 5_000 }),
      };
    }
    return pool.pool;
  };
  const search = () => ({ configured: readConfig(env).modules });
  const devices = (pins: PinProvider) =>
    new DeviceService({ pins, configuredModules: readConfig(env).modules });
  /** Validated, then handed to onEvent; an event that breaks the contract is never sent. */
  const emit = (event: ApiEvent): void => {
    if (!options.onEvent) return;
    const checked = apiEventSchema.safeParse(event);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      options.onInternalError?.(
        `event ${event.type}`,
        new Error(`event breaks the contract at ${issue?.path.join('.')}: ${issue?.message}`),
      );
      return;
    }
    try {
      options.onEvent(checked.data);
    } catch (error) {
      options.onInternalError?.(`event ${event.type}`, error);
    }
  };
  /**
   * One sync at a time: a second caller shares the one running. Every sync here
   * is one a user asked for (Sync, or sending), so nodes in a back-off are tried
   * now. Progress goes out as sync.progress events, the nodes' state after it as
   * ledger.nodes.
   */
  const syncOnce = (p: ChainProfile): Promise<SyncReport> => {
    if (!syncing) {
      const nodes = rpc(p);
      nodes.retryNow();
      const engine = new SyncEngine(openedStore(), nodes, p, (progress) =>
        emit({ type: 'sync.progress', payload: progress }),
      );
      syncing = engine.syncOnce().finally(() => {
        syncing = undefined;
        emit({ type: 'ledger.nodes', payload: { nodes: nodes.status() } });
      });
    }
    return syncing;
  };
  /** Tries to send what was just signed (unless offline); a failed sync leaves it queued. */
  const afterSigning = async (p: ChainProfile, queued: OutboxTx[], offline?: boolean) => {
    let sync: SyncReport | { error: string; code: ErrorCode } | null = null;
    if (!offline) {
      try {
        sync = await syncOnce(p);
      } catch (error) {
        sync =
          error instanceof SignetError
            ? { error: error.message, code: error.code }
            : { error: 'the sync failed (internal error)', code: 'INTERNAL' };
      }
    }
    const now = new Map(listOutbox(openedStore(), p.chainId).map((t) => [t.txHash, t]));
    return { transactions: queued.map((t) => outboxRow(now.get(t.txHash) ?? t)), sync };
  };
  const address = (text: string | undefined) =>
    text === undefined ? undefined : parseAddress(text, 'account');

  const handlers: Handlers = {
    'app.info': async () => {
      try {
        const p = profile();
        return { ledger: { name: p.name, chainId: p.chainId, dev: p.dev }, chainProblem: null };
      } catch (error) {
        if (!(error instanceof SignetError)) throw error;
        return { ledger: null, chainProblem: error.message };
      }
    },
    'accounts.list': async () => listAccounts(openedStore()),
    'accounts.balances': async (request) =>
      balanceRows(openedStore(), profile().chainId, address(request.address)),
    'notes.list': async (request) =>
      heldNoteRows(openedStore(), profile(), address(request.address)),
    'history.page': async (request) => {
      const { chainId } = profile();
      const rows = listHistory(openedStore(), chainId, {
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
    'outbox.list': async () => listOutbox(openedStore(), profile().chainId).map(outboxRow),
    'ledger.status': async () => {
      const p = profile();
      return chainStatus(openedStore(), p, rpc(p));
    },
    'sync.run': async () => {
      const p = profile();
      return { ...(await syncOnce(p)), nodes: rpc(p).status() };
    },
    'audit.list': async (request) => ({
      entries: listAudit(openedStore(), {
        search: request.search,
        limit: request.limit,
        offset: request.offset,
      }),
    }),
    'audit.verify': async () => verifyAuditChain(openedStore()),
    'wallet.previewSend': async (request) =>
      previewSend(
        openedStore(),
        profile(),
        request.from,
        parseAddress(request.to, 'recipient'),
        parseAmount(request.amount),
      ),
    'wallet.send': async (request, pins) => {
      const to = parseAddress(request.to, 'recipient');
      const amount = parseAmount(request.amount);
      const p = profile();
      const s = openedStore();
      const wallet = new Wallet({ store: s, profile: p, search: search(), pins });
      const queued = await wallet.send(request.from, to, amount);
      return afterSigning(p, [queued], request.offline);
    },
    'notes.preview': async (request) => {
      const p = profile();
      return previewNote({ store: openedStore(), profile: p, rpc: rpc(p) }, request.operation);
    },
    'notes.execute': async (request, pins) => {
      const p = profile();
      const s = openedStore();
      const wallet = new Wallet({ store: s, profile: p, search: search(), pins });
      const nodes = request.offline ? undefined : rpc(p);
      const planned = await planNoteOperation(
        { store: s, profile: p, rpc: nodes },
        request.operation,
      );
      if (planned.kind === 'typed-data') {
        // An offer is a signature handed to the bank: nothing to send.
        return { transactions: [], offer: await wallet.signOffer(planned), sync: null };
      }
      const queued = await wallet.queue(planned);
      return { ...(await afterSigning(p, queued, request.offline)), offer: null };
    },
    'devices.listModules': (request, pins) => devices(pins).listModules(request),
    'devices.listTokens': (request, pins) => devices(pins).listTokens(request),
    'devices.initToken': (request, pins) => devices(pins).initToken(request),
    'devices.changePin': (request, pins) => devices(pins).changePin(request),
    'devices.unblockPin': (request, pins) => devices(pins).unblockPin(request),
    'devices.listKeys': (request, pins) => devices(pins).listKeys(request),
    'devices.generateKey': (request, pins) => devices(pins).generateKey(request),
    'devices.deleteKey': (request, pins) => devices(pins).deleteKey(request),
    'devices.sign': (request, pins) => devices(pins).sign(request),
  };

  const dispatch = createDispatcher({
    handlers: handlers as DispatchHandlers,
    isClosed: () => closed,
    onInternalError: options.onInternalError,
  });

  return {
    dispatch,
    close() {
      closed = true;
      store?.close();
      store = undefined;
    },
  };
}
