/**
 * What a token shows without a login: whether it holds any public key. A token
 * that does is someone's already, and a provisioning batch never erases it.
 */
import type { TokenConnection } from './connection.js';
import { pkcs11js } from './pkcs11js.js';
import { fromPkcs11Error } from './return-codes.js';

export function holdsPublicKeys(connection: TokenConnection): Promise<boolean> {
  const p = pkcs11js();
  const api = connection.module.api;
  return connection.withSession((session) => {
    try {
      api.C_FindObjectsInit(session, [{ type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY }]);
      try {
        return api.C_FindObjects(session, 1).length > 0;
      } finally {
        api.C_FindObjectsFinal(session);
      }
    } catch (error) {
      throw fromPkcs11Error(error, `looking for keys on token "${connection.token.label}"`);
    }
  });
}
