/**
 * The customers' tokens' module as a batch sees it: opened once for the whole
 * batch (not once per row), its tokens listed once and found by serial or
 * slot. A token found in the list is read again in its slot (one
 * C_GetTokenInfo) to be sure it is still the one; a token not in the list
 * makes the module be opened afresh and listed again, since SoftHSM2 (and a
 * module without slot events) shows a token inserted since only after a new
 * C_Initialize. So a token inserted mid-batch, or awaited on a single reader,
 * is still found.
 */
import { openModule, type Pkcs11Module } from '../../native/pkcs11/module.js';
import {
  describeToken,
  listTokens,
  refreshToken,
  type TokenDescription,
} from '../../native/pkcs11/tokens.js';
import { SignetError } from '../api/errors.js';
import type { TokenRef } from './batch-csv.js';

export interface BatchTokensOptions {
  /**
   * Called before the module is closed to list it afresh: whoever else holds
   * it open in this process lets it go (a batch's operator signer), else the
   * library is not finalised and shows no new token.
   */
  beforeReload?: () => Promise<void>;
}

export class BatchTokens {
  private current: Pkcs11Module;
  private tokens: TokenDescription[];
  /**
   * Tokens whose mechanisms were read: the listing skips them (dozens of calls per
   * token, and a batch uses each token once), a token found reads its own.
   */
  private described = new WeakSet<TokenDescription>();
  /** How many times the module was opened and listed (1 + reloads): for tests and figures. */
  listings = 1;

  constructor(
    readonly modulePath: string,
    private readonly options: BatchTokensOptions = {},
  ) {
    this.current = openModule(modulePath);
    try {
      this.tokens = listTokens(this.current, { mechanisms: false });
    } catch (error) {
      this.current.close();
      throw error;
    }
  }

  get module(): Pkcs11Module {
    return this.current;
  }

  /** The token as it stands now, from the last listing; undefined if not there (or no longer). */
  find(ref: TokenRef): TokenDescription | undefined {
    const listed = this.tokens.find((t) =>
      'serial' in ref ? t.serial === ref.serial : t.slot === ref.slot,
    );
    if (!listed) return undefined;
    let token: TokenDescription;
    try {
      token = this.described.has(listed)
        ? refreshToken(this.current, listed)
        : describeToken(this.current, listed.slotHandle);
    } catch (error) {
      if (error instanceof SignetError) return undefined; // pulled out since the listing
      throw error;
    }
    // Another token in that slot now (a reader): not this one.
    if ('serial' in ref && token.serial !== ref.serial) return undefined;
    this.remember(token);
    return token;
  }

  /** Like find, but the module opened and listed afresh first when the token is not in the list. */
  async lookup(ref: TokenRef): Promise<TokenDescription | undefined> {
    const token = this.find(ref);
    if (token) return token;
    await this.reload();
    return this.find(ref);
  }

  /** The token, or a clear TOKEN_NOT_FOUND. */
  async get(ref: TokenRef): Promise<TokenDescription> {
    const token = await this.lookup(ref);
    if (token) return token;
    const which = 'serial' in ref ? `serial ${ref.serial}` : `slot ${ref.slot}`;
    throw new SignetError(
      'TOKEN_NOT_FOUND',
      `no token with ${which} in ${this.modulePath} (not inserted, or pulled out)`,
      { details: { ...ref, module: this.modulePath } },
    );
  }

  /** Keeps what an init returned (SoftHSM2 may move a new token to another slot). */
  remember(token: TokenDescription): void {
    this.tokens = this.tokens.filter(
      (t) => t.slot !== token.slot && (token.serial === '' || t.serial !== token.serial),
    );
    this.tokens.push(token);
    this.described.add(token);
  }

  /** The module closed, opened again (a new C_Initialize when nobody else holds it) and listed. */
  async reload(): Promise<void> {
    await this.options.beforeReload?.();
    this.current.close();
    this.current = openModule(this.modulePath);
    this.tokens = listTokens(this.current, { mechanisms: false });
    this.listings++;
  }

  close(): void {
    this.current.close();
  }
}
