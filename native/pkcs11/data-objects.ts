/**
 * Small records kept ON a token (CKO_DATA objects), named by (application,
 * label): private token objects, so they are read and written only after the
 * user's login, and they go wherever the token goes. Generic: the caller owns
 * what the bytes mean (the offline purse keeps its counter here, so a host
 * restored from a backup cannot reuse one).
 *
 * SoftHSM2 refuses C_SetAttributeValue on a data object's CKA_VALUE
 * (CKR_ATTRIBUTE_READ_ONLY, even with CKA_MODIFIABLE; checked by
 * test/data-objects.integration.test.ts), as many cards do. So a write makes
 * a new object holding the value and then destroys the old one: creating it
 * is the commit. Each object's CKA_VALUE is an 8-byte generation (big-endian)
 * then the caller's bytes; a crash between the create and the destroy leaves
 * two, and the higher generation is the value (the next write removes the
 * other).
 */
import { SignetError } from '../../core/api/errors.js';
import type { TokenConnection } from './connection.js';
import { findObjects } from './find-objects.js';
import { type Handle, pkcs11js } from './pkcs11js.js';
import { fromPkcs11Error } from './return-codes.js';

export interface DataObjectName {
  /** CKA_APPLICATION: whose objects these are (e.g. "signet-purse"). */
  application: string;
  /** CKA_LABEL: which one. */
  label: string;
}

/** Largest value Signet stores in one object: small cards hold a few KiB in all. */
export const MAX_DATA_OBJECT_BYTES = 1024;
const GENERATION_BYTES = 8;

interface Stored {
  handle: Handle;
  generation: bigint;
  value: Uint8Array;
}

/** The value under this name, or undefined when there is none. */
export function readDataObject(
  connection: TokenConnection,
  name: DataObjectName,
): Promise<Uint8Array | undefined> {
  return connection.withSession((session) => {
    try {
      return latest(readAll(connection, session, name))?.value;
    } catch (error) {
      throw fromPkcs11Error(
        error,
        `reading ${describe(name)} on token "${connection.token.label}"`,
      );
    }
  });
}

/** Every label stored for an application. */
export function listDataObjects(
  connection: TokenConnection,
  application: string,
): Promise<string[]> {
  const p = pkcs11js();
  return connection.withSession((session) => {
    try {
      const handles = findObjects(connection, session, [
        { type: p.CKA_CLASS, value: p.CKO_DATA },
        { type: p.CKA_APPLICATION, value: Buffer.from(application, 'utf8') },
      ]);
      const labels = handles.map((handle) => {
        const [label] = connection.module.api.C_GetAttributeValue(session, handle, [
          { type: p.CKA_LABEL },
        ]);
        return ((label?.value as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8');
      });
      return [...new Set(labels)];
    } catch (error) {
      throw fromPkcs11Error(
        error,
        `listing ${application} objects on token "${connection.token.label}"`,
      );
    }
  });
}

/** Makes the object; refuses (INVALID_ARGUMENT) when one by this name exists. */
export async function createDataObject(
  connection: TokenConnection,
  name: DataObjectName,
  value: Uint8Array,
): Promise<void> {
  if (!(await writeDataObject(connection, name, value, null))) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `${describe(name)} is on token "${connection.token.label}" already`,
    );
  }
}

/**
 * Replaces the value under this name (creates it when there is none).
 * `expect`, when given, must be its value now (null: none), compared in the
 * same session just before the write: otherwise nothing is written and the
 * answer is false (the caller says what that means).
 */
export async function writeDataObject(
  connection: TokenConnection,
  name: DataObjectName,
  value: Uint8Array,
  expect?: Uint8Array | null,
): Promise<boolean> {
  checkSize(value);
  return connection.withSession((session) => {
    const api = connection.module.api;
    try {
      const all = readAll(connection, session, name);
      const now = latest(all);
      if (expect !== undefined && !sameBytes(now?.value ?? null, expect)) return false;
      // Create first: from here on the new value is the one read back.
      createObject(connection, session, name, (now?.generation ?? 0n) + 1n, value);
      for (const old of all) api.C_DestroyObject(session, old.handle);
      return true;
    } catch (error) {
      throw fromPkcs11Error(
        error,
        `writing ${describe(name)} on token "${connection.token.label}"`,
      );
    }
  });
}

/** Removes every object by this name; true when there was one. */
export function destroyDataObject(
  connection: TokenConnection,
  name: DataObjectName,
): Promise<boolean> {
  return connection.withSession((session) => {
    try {
      const all = readAll(connection, session, name);
      for (const { handle } of all) connection.module.api.C_DestroyObject(session, handle);
      return all.length > 0;
    } catch (error) {
      throw fromPkcs11Error(
        error,
        `removing ${describe(name)} on token "${connection.token.label}"`,
      );
    }
  });
}

function readAll(connection: TokenConnection, session: Handle, name: DataObjectName): Stored[] {
  return findHandles(connection, session, name).map((handle) => {
    const raw = readValue(connection, session, handle);
    if (raw.length < GENERATION_BYTES) return { handle, generation: -1n, value: raw };
    const generation = Buffer.from(raw.subarray(0, GENERATION_BYTES)).readBigUInt64BE();
    return { handle, generation, value: raw.subarray(GENERATION_BYTES) };
  });
}

function latest(all: Stored[]): Stored | undefined {
  return all.reduce<Stored | undefined>(
    (best, item) => (best === undefined || item.generation > best.generation ? item : best),
    undefined,
  );
}

function createObject(
  connection: TokenConnection,
  session: Handle,
  name: DataObjectName,
  generation: bigint,
  value: Uint8Array,
): void {
  const p = pkcs11js();
  const header = Buffer.alloc(GENERATION_BYTES);
  header.writeBigUInt64BE(generation);
  connection.module.api.C_CreateObject(session, [
    { type: p.CKA_CLASS, value: p.CKO_DATA },
    { type: p.CKA_TOKEN, value: true },
    { type: p.CKA_PRIVATE, value: true },
    { type: p.CKA_MODIFIABLE, value: true },
    { type: p.CKA_APPLICATION, value: Buffer.from(name.application, 'utf8') },
    { type: p.CKA_LABEL, value: name.label },
    { type: p.CKA_VALUE, value: Buffer.concat([header, value]) },
  ]);
}

function findHandles(connection: TokenConnection, session: Handle, name: DataObjectName): Handle[] {
  const p = pkcs11js();
  return findObjects(connection, session, [
    { type: p.CKA_CLASS, value: p.CKO_DATA },
    { type: p.CKA_APPLICATION, value: Buffer.from(name.application, 'utf8') },
    { type: p.CKA_LABEL, value: Buffer.from(name.label, 'utf8') },
  ]);
}

function readValue(connection: TokenConnection, session: Handle, handle: Handle): Uint8Array {
  const [attribute] = connection.module.api.C_GetAttributeValue(session, handle, [
    { type: pkcs11js().CKA_VALUE },
  ]);
  return new Uint8Array((attribute?.value as Buffer | undefined) ?? Buffer.alloc(0));
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

function checkSize(value: Uint8Array): void {
  if (value.length > MAX_DATA_OBJECT_BYTES) {
    throw new SignetError(
      'INVALID_ARGUMENT',
      `a token data object holds at most ${MAX_DATA_OBJECT_BYTES} bytes, not ${value.length}`,
    );
  }
}

function describe(name: DataObjectName): string {
  return `${name.application} object "${name.label}"`;
}
