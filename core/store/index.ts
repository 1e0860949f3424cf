/** Signet's local SQLite store: accounts, synced ledger state, history, outbox, audit log. */
export * from './accounts.js';
export * from './audit-log.js';
export * from './canonical-json.js';
export * from './chain-meta.js';
export * from './chain-state.js';
export * from './checkpoint.js';
export * from './database.js';
export * from './history.js';
export * from './outbox.js';
