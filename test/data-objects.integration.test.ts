/**
 * Token data objects (native/pkcs11/data-objects.ts) on a real SoftHSM2 token:
 * private (invisible without the login), written in place, and a write that
 * expects another value than the token's changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenConnection } from '../native/pkcs11/connection.js';
import {
  createDataObject,
  destroyDataObject,
  listDataObjects,
  readDataObject,
  writeDataObject,
} from '../native/pkcs11/data-objects.js';
import { openModule, type Pkcs11Module } from '../native/pkcs11/module.js';
import { type Handle, pkcs11js } from '../native/pkcs11/pkcs11js.js';
import { listTokens, type TokenDescription } from '../native/pkcs11/tokens.js';
import { createSoftHsmStore, softhsmModule } from './support/softhsm.js';

const store = createSoftHsmStore();
const PIN = '2468-pin';
const pins = async () => Buffer.from(PIN);
let module: Pkcs11Module;
let token: TokenDescription;
const name = { application: 'signet-test', label: 'counter' };
const bytes = (value: string) => new Uint8Array(Buffer.from(value));
const text = (value: Uint8Array | undefined) =>
  value === undefined ? undefined : Buffer.from(value).toString();

function handlesOf(connection: TokenConnection, session: Handle): Handle[] {
  const p = pkcs11js();
  const api = connection.module.api;
  api.C_FindObjectsInit(session, [
    { type: p.CKA_CLASS, value: p.CKO_DATA },
    { type: p.CKA_LABEL, value: Buffer.from('counter') },
  ]);
  try {
    return api.C_FindObjects(session, 8);
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

beforeAll(() => {
  store.initToken('data', PIN);
  store.activate();
  module = openModule(softhsmModule);
  token = listTokens(module).find((t) => t.label === 'data')!;
});
afterAll(() => {
  module.close();
  store.remove();
});

async function loggedIn<T>(work: (connection: TokenConnection) => Promise<T>): Promise<T> {
  const connection = new TokenConnection(module, token, { write: true });
  try {
    await connection.logIn('user', pins);
    return await work(connection);
  } finally {
    connection.close();
  }
}

describe('token data objects', () => {
  it('creates, reads, rewrites and lists; SoftHSM2 keeps CKA_VALUE read-only, so a write replaces the object', async () => {
    await loggedIn(async (connection) => {
      expect(await readDataObject(connection, name)).toBeUndefined();
      await createDataObject(connection, name, bytes('one'));
      await expect(createDataObject(connection, name, bytes('again'))).rejects.toThrow(/already/);
      expect(text(await readDataObject(connection, name))).toBe('one');

      // What the module works around: the token refuses to change the value in place.
      const p = pkcs11js();
      const refused = await connection.withSession((session) => {
        const [handle] = handlesOf(connection, session);
        try {
          connection.module.api.C_SetAttributeValue(session, handle!, [
            { type: p.CKA_VALUE, value: Buffer.from('direct') },
          ]);
          return null;
        } catch (error) {
          return (error as Error).message.split(':')[0];
        }
      });
      expect(refused).toBe('CKR_ATTRIBUTE_READ_ONLY');

      expect(await writeDataObject(connection, name, bytes('two'), bytes('one'))).toBe(true);
      expect(text(await readDataObject(connection, name))).toBe('two');
      expect(await connection.withSession((s) => handlesOf(connection, s).length)).toBe(1);
      expect(await listDataObjects(connection, 'signet-test')).toEqual(['counter']);
      expect(await listDataObjects(connection, 'other-app')).toEqual([]);
    });
  });

  it('after a crash between the create and the destroy, the later generation is the value', async () => {
    await loggedIn(async (connection) => {
      const p = pkcs11js();
      // FAKE of the crash: an older generation (0) left beside the current one.
      await connection.withSession((session) => {
        connection.module.api.C_CreateObject(session, [
          { type: p.CKA_CLASS, value: p.CKO_DATA },
          { type: p.CKA_TOKEN, value: true },
          { type: p.CKA_PRIVATE, value: true },
          { type: p.CKA_APPLICATION, value: Buffer.from('signet-test') },
          { type: p.CKA_LABEL, value: 'counter' },
          { type: p.CKA_VALUE, value: Buffer.concat([Buffer.alloc(8), Buffer.from('zero')]) },
        ]);
      });
      expect(text(await readDataObject(connection, name))).toBe('two');
      expect(await writeDataObject(connection, name, bytes('two'), bytes('two'))).toBe(true);
      expect(await connection.withSession((s) => handlesOf(connection, s).length)).toBe(1);
    });
  });

  it('a write expecting a value the token no longer has changes nothing', async () => {
    await loggedIn(async (connection) => {
      expect(await writeDataObject(connection, name, bytes('three'), bytes('stale'))).toBe(false);
      expect(text(await readDataObject(connection, name))).toBe('two');
      // Expecting none when one exists is refused too.
      expect(await writeDataObject(connection, name, bytes('three'), null)).toBe(false);
      expect(text(await readDataObject(connection, name))).toBe('two');
    });
  });

  it('is private: without the login it is not found, and it persists across sessions', async () => {
    const anonymous = new TokenConnection(module, token);
    try {
      expect(await readDataObject(anonymous, name)).toBeUndefined();
    } finally {
      anonymous.close();
    }
    await loggedIn(async (connection) => {
      expect(text(await readDataObject(connection, name))).toBe('two');
    });
  });

  it('refuses a value over the size cap, then removes the object', async () => {
    await loggedIn(async (connection) => {
      await expect(writeDataObject(connection, name, new Uint8Array(2000))).rejects.toThrow(
        /at most 1024 bytes/,
      );
      expect(text(await readDataObject(connection, name))).toBe('two');
      expect(await destroyDataObject(connection, name)).toBe(true);
      expect(await readDataObject(connection, name)).toBeUndefined();
    });
  });
});
