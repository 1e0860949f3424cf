/**
 * A FAKE Electron binary: no Electron binary can be fetched on this machine, so
 * the fuse hook is run on a file laid out like the part of one it touches: bytes
 * of filler, then Electron's fuse wire (the sentinel @electron/fuses searches
 * for, the wire version, the wire length, one byte per fuse: '1' on, '0' off),
 * then more filler. The fuse states start as Electron ships them.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/** @electron/fuses' SENTINEL (its dist/constants.js). */
export const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
export const FUSE_ON = 0x31; // '1'
export const FUSE_OFF = 0x30; // '0'

/**
 * Electron's defaults for the eight fuses @electron/fuses 1.8 names, in wire
 * order, plus one more that newer Electrons have and the hook must leave alone.
 */
export const SHIPPED_FUSES = [
  FUSE_ON, // RunAsNode
  FUSE_OFF, // EnableCookieEncryption
  FUSE_ON, // EnableNodeOptionsEnvironmentVariable
  FUSE_ON, // EnableNodeCliInspectArguments
  FUSE_OFF, // EnableEmbeddedAsarIntegrityValidation
  FUSE_OFF, // OnlyLoadAppFromAsar
  FUSE_OFF, // LoadBrowserProcessSpecificV8Snapshot
  FUSE_ON, // GrantFileProtocolExtraPrivileges
  FUSE_ON, // a fuse this @electron/fuses does not know
];

export interface FakeElectronBinary {
  /** Where the wire's first fuse byte is. */
  wireStart: number;
  bytes: Buffer;
}

/** Writes the fake binary; `fuses` null writes one with no fuse wire at all. */
export function writeFakeElectronBinary(
  path: string,
  fuses: readonly number[] | null = SHIPPED_FUSES,
): FakeElectronBinary {
  const before = randomBytes(4096);
  const after = randomBytes(1024);
  const wire =
    fuses === null
      ? Buffer.alloc(0)
      : Buffer.concat([Buffer.from(FUSE_SENTINEL), Buffer.from([1, fuses.length, ...fuses])]);
  const bytes = Buffer.concat([before, wire, after]);
  writeFileSync(path, bytes, { mode: 0o755 });
  return { wireStart: before.length + FUSE_SENTINEL.length + 2, bytes };
}
