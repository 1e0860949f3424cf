/**
 * startTpmToken (test/support/tpm-token.ts), the provisioned TPM token end-to-end
 * tests start from: its key signs through a `signet` child process given only the
 * helper's env, and stop() leaves no process and no directory behind.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePkcs11Uri } from '../native/pkcs11/uri.js';
import { signetProcess } from './support/cli.js';
import { findTpmTools } from './support/tpm-stack.js';
import { startTpmToken, type TpmToken } from './support/tpm-token.js';

const tools = findTpmTools();
const missing = 'missing' in tools ? tools.missing : undefined;
if (missing) console.warn(`TPM token helper tests skipped: ${missing}`);

describe.skipIf(missing !== undefined)('startTpmToken', () => {
  let tpm: TpmToken | undefined;
  beforeAll(async () => {
    tpm = await startTpmToken({ tokenLabel: 'e2e-tpm', keyLabel: 'payer' });
  });
  afterAll(async () => {
    await tpm?.stop();
  });

  it('gives a P-256 key on a fresh TPM token that a signet process signs with, given only its env', () => {
    const token = tpm!;
    expect(parsePkcs11Uri(token.keyUri)).toMatchObject({
      token: 'e2e-tpm',
      object: 'payer',
      modulePath: token.modulePath,
    });
    expect(token.publicKey).toHaveLength(65);
    const digest = randomBytes(32);
    const run = signetProcess(
      ['sign', '--key', token.keyUri, '--digest', digest.toString('hex'), '--pin-stdin', '--json'],
      { stdin: `${token.userPin}\n`, env: token.env },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const signature = Buffer.from(run.json.signature.slice(2), 'hex');
    expect(p256.verify(signature, digest, token.publicKey, { prehash: false })).toBe(true);
  });

  it('stop() ends every process of the stack and removes its directory', async () => {
    const token = tpm!;
    tpm = undefined;
    await token.stop();
    expect(existsSync(token.stack.dir)).toBe(false);
    expect(token.stack.pids).toHaveLength(3);
    for (const pid of token.stack.pids) {
      expect(() => process.kill(pid, 0), `process ${pid}`).toThrow(/ESRCH/);
    }
    // The broker is gone with its bus: nothing answers on this TPM's TCTI any more.
    await expect(token.stack.tpm2('tpm2_getcap', ['properties-fixed'])).rejects.toThrow();
  });
});
