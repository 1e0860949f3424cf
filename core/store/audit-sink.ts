/**
 * Where device operations (token init, PIN change and unblock, key generation
 * and deletion, raw signatures) record what they did: an entry in the audit log.
 * A sink throws if it cannot record; the caller then does not report success.
 */
import { appendAudit, type NewAuditEntry } from './audit-log.js';
import { openStore, type Store } from './database.js';

export type AuditSink = (entry: NewAuditEntry) => void;

/** Appends to the store `store()` gives (the app's, opened on first use). */
export function auditTo(store: () => Store): AuditSink {
  return (entry) => {
    appendAudit(store(), entry);
  };
}

/**
 * Opens the store at `path` for each entry and closes it again: for work done
 * outside the app API (the demo token made by npm start), which holds no store.
 */
export function auditToFile(path: string): AuditSink {
  return (entry) => {
    const store = openStore(path);
    try {
      appendAudit(store, entry);
    } finally {
      store.close();
    }
  };
}
