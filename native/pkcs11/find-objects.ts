/**
 * Every object on the token matching a template, in one open session. Shared by
 * keys and data objects so the Init/Find/Final dance lives in one place.
 */
import type { TokenConnection } from './connection.js';
import type { Handle } from './pkcs11js.js';

export type ObjectTemplate = Array<{ type: number; value: number | Buffer }>;

export function findObjects(
  connection: TokenConnection,
  session: Handle,
  template: ObjectTemplate,
): Handle[] {
  const api = connection.module.api;
  api.C_FindObjectsInit(session, template);
  try {
    const found: Handle[] = [];
    for (
      let batch = api.C_FindObjects(session, 64);
      batch.length > 0;
      batch = api.C_FindObjects(session, 64)
    ) {
      found.push(...batch);
    }
    return found;
  } finally {
    // A search left open blocks the next one on this session.
    api.C_FindObjectsFinal(session);
  }
}
