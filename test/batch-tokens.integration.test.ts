/**
 * The batch's token listing (core/provisioning/batch-tokens.ts) on real
 * SoftHSM2 tokens: the module opened once; a token added after the listing is
 * found by listing afresh (a new C_Initialize, after the hook that lets the
 * operator's signer go); a token pulled out gives a clear TOKEN_NOT_FOUND; a
 * re-initialised token is found again by its serial, in its slot.
 */
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignetError } from '../core/api/errors.js';
import { BatchTokens } from '../core/provisioning/batch-tokens.js';
import { initCustomerToken } from '../core/provisioning/token-steps.js';
import { createSoftHsmStore, type SoftHsmStore, softhsmModule } from './support/softhsm.js';

const SO_PIN = '87654321';

describe('BatchTokens: one module open for a batch, listed again only when a token is missing', () => {
  let store: SoftHsmStore;
  let tokens: BatchTokens;
  let reloads = 0;
  let first: string;

  beforeAll(() => {
    store = createSoftHsmStore('signet-batch-tokens-');
    store.activate();
    first = store.initToken('first', '11111111', SO_PIN);
    tokens = new BatchTokens(softhsmModule, {
      beforeReload: async () => {
        reloads++;
      },
    });
  });
  afterAll(() => {
    tokens?.close();
    store?.remove();
  });

  it('finds a listed token by serial without listing again', async () => {
    const token = await tokens.get({ serial: first });
    expect(token.label).toBe('first');
    expect(token.flags.tokenInitialized).toBe(true);
    // The listing skips mechanisms; the token found reads its own (keygen checks them).
    expect(token.mechanisms).toContain('CKM_ECDSA');
    expect(tokens.listings).toBe(1);
    expect(reloads).toBe(0);
  });

  it('finds a token added after it was opened, by opening the module afresh (once)', async () => {
    const added = store.initToken('added', '22222222', SO_PIN);
    expect(tokens.find({ serial: added })).toBeUndefined(); // not in the first listing
    const token = await tokens.get({ serial: added });
    expect(token.label).toBe('added');
    expect(tokens.listings).toBe(2);
    expect(reloads).toBe(1);
    // The first token is still there after the reload, found without another listing.
    expect((await tokens.get({ serial: first })).label).toBe('first');
    expect(tokens.listings).toBe(2);
  });

  it('finds a re-initialised token again by its serial, in the same slot', async () => {
    const before = await tokens.get({ serial: first });
    const after = await initCustomerToken(tokens.module, before, 'customer-1', SO_PIN, '33333333');
    expect(after.serial).toBe(first);
    expect(after.slot).toBe(before.slot);
    expect(after.label).toBe('customer-1');
    expect(after.flags.userPinInitialized).toBe(true);
    tokens.remember(after);
    expect(tokens.find({ serial: first })?.label).toBe('customer-1');
    expect(tokens.listings).toBe(2);
  });

  it('says clearly when a token was pulled out or never inserted', async () => {
    const pulled = store.initToken('pulled', '44444444', SO_PIN);
    expect((await tokens.get({ serial: pulled })).label).toBe('pulled');
    // Pulled out: its directory moved away (SoftHSM2 sees it gone at its next C_Initialize).
    const dir = join(store.dir, 'tokens');
    const name = readdirSync(dir).find((d) => d.replaceAll('-', '').endsWith(pulled))!;
    renameSync(join(dir, name), join(store.dir, `pulled-${name}`));
    await tokens.reload();
    const error = await tokens.get({ serial: pulled }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignetError);
    expect((error as SignetError).code).toBe('TOKEN_NOT_FOUND');
    expect((error as SignetError).message).toBe(
      `no token with serial ${pulled} in ${softhsmModule} (not inserted, or pulled out)`,
    );
    const never = await tokens.get({ serial: '0123456789abcdef' }).catch((e: unknown) => e);
    expect((never as SignetError).code).toBe('TOKEN_NOT_FOUND');
    // The others are still found.
    expect((await tokens.get({ serial: first })).label).toBe('customer-1');
  });
});
