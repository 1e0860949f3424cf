/**
 * The store's schema as numbered migrations: step i brings `user_version` from
 * i to i + 1. Steps that have shipped are never edited (a user's file already
 * ran them); change the schema by appending a step.
 *
 * Conventions: STRICT tables (no float sneaks into an INTEGER column); money and
 * token ids are uint256, kept as canonical decimal TEXT (see `uint`) because
 * they overflow int64; block numbers, nonces and unix times are INTEGER (they
 * fit a JS number exactly); addresses are EIP-55 text, hashes lowercase hex.
 */

/** CHECK that a TEXT column holds a canonical uint256: digits only, no leading zero. */
function uint(column: string): string {
  return `(${column} GLOB '[0-9]*' AND ${column} NOT GLOB '*[^0-9]*'
    AND (${column} = '0' OR ${column} NOT GLOB '0*') AND length(${column}) <= 78)`;
}

const v1 = `
CREATE TABLE accounts (
  address    TEXT PRIMARY KEY,
  key_uri    TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  curve      TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE account_state (
  chain_id      INTEGER NOT NULL,
  address       TEXT NOT NULL REFERENCES accounts (address),
  balance       TEXT NOT NULL CHECK ${uint('balance')},
  registered    INTEGER NOT NULL CHECK (registered IN (0, 1)),
  frozen        INTEGER NOT NULL CHECK (frozen IN (0, 1)),
  chain_nonce   INTEGER NOT NULL CHECK (chain_nonce >= 0),
  updated_block INTEGER NOT NULL CHECK (updated_block >= 0),
  PRIMARY KEY (chain_id, address)
) STRICT, WITHOUT ROWID;

CREATE TABLE notes (
  chain_id      INTEGER NOT NULL,
  token_id      TEXT NOT NULL CHECK ${uint('token_id')},
  holder        TEXT NOT NULL,
  slot          TEXT NOT NULL CHECK ${uint('slot')},
  acceptor      TEXT NOT NULL,
  currency      TEXT NOT NULL,
  maturity      INTEGER NOT NULL,
  value         TEXT NOT NULL CHECK ${uint('value')},
  status        TEXT NOT NULL CHECK (status IN ('active', 'redeemed', 'dishonoured')),
  updated_block INTEGER NOT NULL CHECK (updated_block >= 0),
  PRIMARY KEY (chain_id, token_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX notes_by_holder ON notes (chain_id, holder, maturity);

CREATE TABLE history (
  id           INTEGER PRIMARY KEY,
  chain_id     INTEGER NOT NULL,
  tx_hash      TEXT NOT NULL,
  log_index    INTEGER NOT NULL CHECK (log_index >= 0),
  block_number INTEGER NOT NULL CHECK (block_number >= 0),
  block_hash   TEXT NOT NULL,
  kind         TEXT NOT NULL,
  from_address TEXT,
  to_address   TEXT,
  amount       TEXT NOT NULL CHECK ${uint('amount')},
  token_id     TEXT CHECK (token_id IS NULL OR ${uint('token_id')}),
  timestamp    INTEGER,
  data         TEXT NOT NULL CHECK (json_valid(data)),
  UNIQUE (chain_id, tx_hash, log_index)
) STRICT;
-- Newest-first paging walks one of these backwards and stops after a page.
CREATE INDEX history_by_position ON history (chain_id, block_number, log_index);
CREATE INDEX history_by_from ON history (chain_id, from_address, block_number, log_index);
CREATE INDEX history_by_to ON history (chain_id, to_address, block_number, log_index);

CREATE TABLE checkpoints (
  chain_id     INTEGER NOT NULL,
  stream       TEXT NOT NULL,
  block_number INTEGER NOT NULL CHECK (block_number >= 0),
  block_hash   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (chain_id, stream)
) STRICT, WITHOUT ROWID;

-- Head and fees at the last sync, for pricing transactions signed offline (chain-meta.ts).
CREATE TABLE chain_meta (
  chain_id  INTEGER PRIMARY KEY,
  head      INTEGER NOT NULL CHECK (head >= 0),
  head_time INTEGER NOT NULL CHECK (head_time >= 0),
  base_fee  TEXT NOT NULL CHECK ${uint('base_fee')},
  gas_price TEXT NOT NULL CHECK ${uint('gas_price')},
  synced_at TEXT NOT NULL
) STRICT;

CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY,
  chain_id     INTEGER NOT NULL,
  from_address TEXT NOT NULL REFERENCES accounts (address),
  nonce        INTEGER NOT NULL CHECK (nonce >= 0),
  tx_hash      TEXT NOT NULL UNIQUE,
  raw          TEXT NOT NULL,
  kind         TEXT NOT NULL,
  summary      TEXT NOT NULL CHECK (json_valid(summary)),
  asset        TEXT NOT NULL CHECK (asset IN ('currency', 'note')),
  amount       TEXT NOT NULL CHECK ${uint('amount')},
  status       TEXT NOT NULL DEFAULT 'signed'
               CHECK (status IN ('signed', 'sent', 'included', 'confirmed', 'failed', 'replaced')),
  error        TEXT,
  created_at   TEXT NOT NULL,
  sent_at      TEXT,
  included_at  TEXT,
  block_number INTEGER,
  block_hash   TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  CHECK (status NOT IN ('included', 'confirmed') OR block_hash IS NOT NULL)
) STRICT;
-- Two live transactions with one nonce would be a double spend in waiting.
CREATE UNIQUE INDEX outbox_live_nonce ON outbox (chain_id, from_address, nonce)
  WHERE status NOT IN ('failed', 'replaced');
CREATE INDEX outbox_by_status ON outbox (chain_id, status);

CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
  at        TEXT NOT NULL,
  action    TEXT NOT NULL,
  key_uri   TEXT,
  subject   TEXT NOT NULL CHECK (json_valid(subject)),
  tx_hash   TEXT,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL UNIQUE
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/**
 * Who holds what across processes on one data directory: the sync (only one
 * process broadcasts and indexes at a time) and the app itself (one `npm start`
 * per data directory). See process-lock.ts.
 */
const v2 = `
CREATE TABLE process_locks (
  name     TEXT PRIMARY KEY,
  pid      INTEGER NOT NULL CHECK (pid > 0),
  host     TEXT NOT NULL,
  -- This boot and the process's start time: a pid reused after the holder died is not it.
  instance TEXT,
  purpose  TEXT NOT NULL,
  since    TEXT NOT NULL,
  -- The holder's heartbeat: how a process on another host tells a holder that died.
  seen     TEXT NOT NULL,
  location TEXT
) STRICT, WITHOUT ROWID;
`;

/**
 * Step 3 (issue 9): an outbox row remembers the block at which the chain first
 * showed it gone (no quorum of nodes knows it, its nonce free), so the nonce is
 * released only once that has held for the profile's confirmations. History rows
 * for notes get their kinds (issue, endorse, split, finance, redeem, dishonour)
 * with from and to: the old note rows are dropped and the log index starts over
 * (currency rows already stored are kept; the rescan skips them).
 */
const v3 = `
ALTER TABLE outbox ADD COLUMN missing_since INTEGER CHECK (missing_since IS NULL OR missing_since >= 0);
DELETE FROM history WHERE kind LIKE 'note-%';
DELETE FROM checkpoints WHERE stream = 'logs';
`;

/**
 * Step 4 (issue 9): the user's address book (address-book.ts): a name for another party's
 * address, shown beside it on every review. Names are not per chain: an
 * address is the same party on every chain. One name per address, and a name
 * names one address (NOCASE: "Bob" and "bob" are one name).
 */
const v4 = `
CREATE TABLE address_book (
  address    TEXT PRIMARY KEY CHECK (address GLOB '0x[0-9a-fA-F]*' AND length(address) = 42),
  name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
`;

/**
 * Step 5 (issue 10): an operation of a P-256 account (core/chain/p256-account.ts) is
 * carried by a transaction of another wallet account, which holds the transaction
 * nonce (from_address, nonce) and pays the gas. The row also names the account the
 * operation acts for, whose money and notes move, and that account's own nonce
 * (P256Account.nonce), so pending sums and nonce planning follow the account; two
 * live operations with one account nonce would be a double spend in waiting too.
 */
const v5 = `
ALTER TABLE outbox ADD COLUMN account_address TEXT REFERENCES accounts (address);
ALTER TABLE outbox ADD COLUMN account_nonce INTEGER
  CHECK ((account_nonce IS NULL) = (account_address IS NULL) AND (account_nonce IS NULL OR account_nonce >= 0));
CREATE UNIQUE INDEX outbox_live_account_nonce ON outbox (chain_id, account_address, account_nonce)
  WHERE account_address IS NOT NULL AND status NOT IN ('failed', 'replaced');
`;

/**
 * Step 6 (issue 11): treasuries (Safe 1.4.1 accounts, core/store/treasuries.ts): the
 * parameters that fix the address (owners in EIP-55 form, ascending as a JSON array;
 * threshold; the CREATE2 salt nonce), a name for people, and the Safe nonce as last
 * read from the chain beside the next one a proposal was written at, so proposals
 * made offline queue in nonce order.
 */
const v6 = `
CREATE TABLE treasuries (
  chain_id       INTEGER NOT NULL,
  address        TEXT NOT NULL CHECK (address GLOB '0x[0-9a-fA-F]*' AND length(address) = 42),
  name           TEXT NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
  owners         TEXT NOT NULL CHECK (json_valid(owners) AND json_type(owners) = 'array'),
  threshold      INTEGER NOT NULL CHECK (threshold >= 1),
  salt           TEXT NOT NULL CHECK ${uint('salt')},
  chain_nonce    INTEGER NOT NULL DEFAULT 0 CHECK (chain_nonce >= 0),
  next_proposal  INTEGER NOT NULL DEFAULT 0 CHECK (next_proposal >= 0),
  created_at     TEXT NOT NULL,
  PRIMARY KEY (chain_id, address),
  UNIQUE (chain_id, name)
) STRICT, WITHOUT ROWID;
`;

/**
 * Step 7 (issue 11): each treasury's policy (core/treasury/policy-file.ts) as the
 * owners signed it: the `.signet-policy` file's text, verified when stored and
 * again when used; only a higher version replaces it.
 */
const v7 = `
CREATE TABLE treasury_policies (
  chain_id   INTEGER NOT NULL,
  safe       TEXT NOT NULL CHECK (safe GLOB '0x[0-9a-fA-F]*' AND length(safe) = 42),
  version    INTEGER NOT NULL CHECK (version >= 0),
  file       TEXT NOT NULL,
  stored_at  TEXT NOT NULL,
  PRIMARY KEY (chain_id, safe)
) STRICT, WITHOUT ROWID;
`;

/**
 * Step 8 (issue 11): each treasury as the last sync read it at one pinned block,
 * cross-checked across nodes (core/sync/refresh-state.ts): deployed or not, the
 * Safe's owners and threshold (which owner changes move away from the
 * creation's), and its money in the currency's registry. Notes it holds are in
 * `notes` like the accounts'.
 */
const v8 = `
CREATE TABLE treasury_state (
  chain_id      INTEGER NOT NULL,
  address       TEXT NOT NULL,
  deployed      INTEGER NOT NULL CHECK (deployed IN (0, 1)),
  owners        TEXT NOT NULL CHECK (json_valid(owners) AND json_type(owners) = 'array'),
  threshold     INTEGER NOT NULL CHECK (threshold >= 0),
  balance       TEXT NOT NULL CHECK ${uint('balance')},
  registered    INTEGER NOT NULL CHECK (registered IN (0, 1)),
  frozen        INTEGER NOT NULL CHECK (frozen IN (0, 1)),
  updated_block INTEGER NOT NULL CHECK (updated_block >= 0),
  PRIMARY KEY (chain_id, address),
  FOREIGN KEY (chain_id, address) REFERENCES treasuries (chain_id, address)
) STRICT, WITHOUT ROWID;
`;

/**
 * Step 9 (issue 12): the provisioning journal (core/store/provisioning-journal.ts),
 * one row per customer of a batch. `step` is the last step done; `intent` the
 * step started and not yet recorded done (a crash leaves it set, and the resume
 * checks the token, the outbox and the chain to learn whether it happened). No
 * PIN is ever kept here. (Issue 12's registration helper may add a step too: the
 * lead renumbers.)
 */
const v9 = `
CREATE TABLE provision_journal (
  batch_id       TEXT NOT NULL,
  customer_ref   TEXT NOT NULL,
  line           INTEGER NOT NULL CHECK (line >= 1),
  step           TEXT NOT NULL CHECK (step IN ('pending', 'token-initialised',
                   'key-generated', 'registered', 'funded', 'mailer-written')),
  intent         TEXT CHECK (intent IS NULL OR intent IN ('token-initialised',
                   'key-generated', 'registered', 'funded', 'mailer-written', 'pin-reset')),
  token_serial   TEXT,
  key_uri        TEXT,
  address        TEXT CHECK (address IS NULL OR (address GLOB '0x[0-9a-fA-F]*' AND length(address) = 42)),
  register_tx    INTEGER,
  fund_tx        INTEGER,
  amount         TEXT NOT NULL CHECK ${uint('amount')},
  pin_resets     INTEGER NOT NULL DEFAULT 0 CHECK (pin_resets >= 0),
  updated_at     TEXT NOT NULL,
  PRIMARY KEY (batch_id, customer_ref)
) STRICT, WITHOUT ROWID;
CREATE INDEX provision_journal_by_serial ON provision_journal (token_serial);
CREATE INDEX provision_journal_by_customer ON provision_journal (customer_ref);
`;

/**
 * Step 10 (issue 13): the offline purse (core/purse/purse-store.ts). `purses`:
 * this computer's purses, their certificate and the counter as the host last
 * wrote it (the token holds it too; any disagreement marks `mismatch`).
 * `purse_vouchers`: vouchers this computer signed ('paid'; an 'intent' row is
 * written before the token's counter moves, so a crash resumes the same
 * voucher) and vouchers it received; each with the certificate it came with,
 * so it can be settled or deposited later. `purse_certificate_keys`: the
 * operators' certificate keys as last synced from the chain, which offline
 * receiving checks against.
 */
const v10 = `
CREATE TABLE purses (
  chain_id          INTEGER NOT NULL,
  purse             TEXT NOT NULL CHECK (purse GLOB '0x[0-9a-fA-F]*' AND length(purse) = 42),
  purse_contract    TEXT NOT NULL,
  owner             TEXT NOT NULL,
  key_uri           TEXT NOT NULL,
  operator          TEXT NOT NULL,
  epoch             INTEGER NOT NULL CHECK (epoch >= 0),
  locked            TEXT NOT NULL CHECK ${uint('locked')},
  cap               TEXT NOT NULL CHECK ${uint('cap')},
  max_count         INTEGER NOT NULL CHECK (max_count >= 1),
  valid_from        INTEGER NOT NULL,
  valid_until       INTEGER NOT NULL,
  certificate_sig   TEXT NOT NULL,
  state             TEXT NOT NULL CHECK (state IN ('opening', 'open', 'closed')),
  counter           INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0),
  cumulative        TEXT NOT NULL DEFAULT '0' CHECK ${uint('cumulative')},
  last_voucher_hash TEXT NOT NULL,
  mismatch          INTEGER NOT NULL DEFAULT 0 CHECK (mismatch IN (0, 1)),
  chain_paid        TEXT NOT NULL DEFAULT '0' CHECK ${uint('chain_paid')},
  frozen            INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
  closable_from     INTEGER,
  created_at        TEXT NOT NULL,
  PRIMARY KEY (chain_id, purse)
) STRICT, WITHOUT ROWID;

CREATE TABLE purse_vouchers (
  chain_id          INTEGER NOT NULL,
  voucher_hash      TEXT NOT NULL,
  direction         TEXT NOT NULL CHECK (direction IN ('paid', 'received')),
  purse_contract    TEXT NOT NULL,
  purse             TEXT NOT NULL,
  epoch             INTEGER NOT NULL,
  payee             TEXT NOT NULL,
  amount            TEXT NOT NULL CHECK ${uint('amount')},
  counter           INTEGER NOT NULL CHECK (counter >= 1),
  cumulative        TEXT NOT NULL CHECK ${uint('cumulative')},
  prev_voucher_hash TEXT NOT NULL,
  issued_at         INTEGER NOT NULL,
  signature         TEXT,
  certificate       TEXT NOT NULL CHECK (json_valid(certificate)),
  certificate_sig   TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('intent', 'pending', 'settled', 'rejected')),
  settled_tx        TEXT,
  stored_at         TEXT NOT NULL,
  PRIMARY KEY (chain_id, voucher_hash, direction),
  CHECK (status = 'intent' OR signature IS NOT NULL)
) STRICT, WITHOUT ROWID;
CREATE INDEX purse_vouchers_by_purse ON purse_vouchers (chain_id, purse, counter);

CREATE TABLE purse_certificate_keys (
  chain_id       INTEGER NOT NULL,
  purse_contract TEXT NOT NULL,
  key            TEXT NOT NULL,
  operator       TEXT NOT NULL,
  synced_at      INTEGER NOT NULL,
  PRIMARY KEY (chain_id, purse_contract, key)
) STRICT, WITHOUT ROWID;
`;

/**
 * Step 11 (issue 13 fixes): the purse opens on chain before the operator
 * certifies it, so a purse row may wait for its certificate ('certifying',
 * no signature yet); the table is rebuilt to allow that (SQLite cannot alter a
 * CHECK). Two processes paying from one purse cannot claim one counter: a
 * unique index on paid vouchers, whose intent row is claimed (pid@host) before
 * the token is touched. `purse_key_sync`: where the certificate-key sync of a
 * purse contract stopped (block and hash), so the next one reads only newer
 * CertificateKeySet events, and starts over if that block left the chain.
 */
const v11 = `
CREATE TABLE purses_v11 (
  chain_id          INTEGER NOT NULL,
  purse             TEXT NOT NULL CHECK (purse GLOB '0x[0-9a-fA-F]*' AND length(purse) = 42),
  purse_contract    TEXT NOT NULL,
  owner             TEXT NOT NULL,
  key_uri           TEXT NOT NULL,
  operator          TEXT NOT NULL,
  epoch             INTEGER NOT NULL CHECK (epoch >= 0),
  locked            TEXT NOT NULL CHECK ${uint('locked')},
  cap               TEXT NOT NULL CHECK ${uint('cap')},
  max_count         INTEGER NOT NULL CHECK (max_count >= 1),
  valid_from        INTEGER NOT NULL,
  valid_until       INTEGER NOT NULL,
  certificate_sig   TEXT,
  state             TEXT NOT NULL CHECK (state IN ('opening', 'certifying', 'open', 'closed')),
  counter           INTEGER NOT NULL DEFAULT 0 CHECK (counter >= 0),
  cumulative        TEXT NOT NULL DEFAULT '0' CHECK ${uint('cumulative')},
  last_voucher_hash TEXT NOT NULL,
  mismatch          INTEGER NOT NULL DEFAULT 0 CHECK (mismatch IN (0, 1)),
  chain_paid        TEXT NOT NULL DEFAULT '0' CHECK ${uint('chain_paid')},
  frozen            INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
  closable_from     INTEGER,
  created_at        TEXT NOT NULL,
  PRIMARY KEY (chain_id, purse),
  CHECK (state IN ('opening', 'certifying') OR certificate_sig IS NOT NULL)
) STRICT, WITHOUT ROWID;
INSERT INTO purses_v11 SELECT * FROM purses;
DROP TABLE purses;
ALTER TABLE purses_v11 RENAME TO purses;

ALTER TABLE purse_vouchers ADD COLUMN claimed_by TEXT;
CREATE UNIQUE INDEX purse_vouchers_paid_counter ON purse_vouchers (chain_id, purse, counter)
  WHERE direction = 'paid';

CREATE TABLE purse_key_sync (
  chain_id       INTEGER NOT NULL,
  purse_contract TEXT NOT NULL,
  block          INTEGER NOT NULL CHECK (block >= 0),
  block_hash     TEXT NOT NULL,
  PRIMARY KEY (chain_id, purse_contract)
) STRICT, WITHOUT ROWID;
`;

export const migrations: readonly string[] = [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11];
