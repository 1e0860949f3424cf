import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { hex32, memoryStore, tempDir } from '../../test/support/store-fixtures.js';
import {
  appendAudit,
  exportAuditCsv,
  GENESIS_HASH,
  listAudit,
  verifyAuditChain,
} from './audit-log.js';
import { canonicalJson } from './canonical-json.js';
import { openStore, type Store } from './database.js';

const keyUri = 'pkcs11:token=Signet;object=key-1;type=private';

let store: Store;
beforeEach(() => {
  store = memoryStore();
});

function appendFive(): void {
  appendAudit(store, {
    action: 'init-token',
    keyUri: 'pkcs11:token=Signet',
    subject: { label: 'Signet' },
  });
  appendAudit(store, { action: 'generate-key', keyUri, subject: { curve: 'secp256k1' } });
  for (const nonce of [0, 1, 2]) {
    appendAudit(store, {
      action: 'sign-transaction',
      keyUri,
      subject: { to: '0xabc', amount: 2n ** 70n, nonce },
      txHash: hex32(nonce + 1),
    });
  }
}

describe('appendAudit', () => {
  it('chains each entry to the previous one with the documented hash', () => {
    const first = appendAudit(store, {
      action: 'generate-key',
      keyUri,
      subject: { curve: 'p256' },
    });
    const second = appendAudit(store, {
      action: 'sign-typed-data',
      keyUri,
      subject: { b: 1, a: 2n },
    });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, txHash: null });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, subject: { a: '2', b: 1 } });
    // sha256(prevHash ‖ canonical JSON without hash), keys sorted, bigint as a string
    const canonical =
      `{"action":"sign-typed-data","at":"${second.at}","keyUri":"${keyUri}",` +
      `"prevHash":"${first.hash}","seq":2,"subject":{"a":"2","b":1},"txHash":null}`;
    expect(second.hash).toBe(
      createHash('sha256').update(first.hash).update(canonical).digest('hex'),
    );
  });

  it.each([
    { pin: '1234' },
    { userPin: 1234 },
    { so_pin: '87654321' },
    { newPIN: '0000' },
    { sopin: 'x' },
    { token: { label: 'T', password: 'hunter2' } },
    { steps: [{ passphrase: 'correct horse' }] },
    { 'user-pin': '1' },
  ])('refuses a secret-named key: %j', (subject) => {
    expect(() => appendAudit(store, { action: 'init-token', subject })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^audit entries must not carry secrets: subject\./),
      }),
    );
    expect(listAudit(store, { limit: 10 })).toEqual([]);
  });

  it('allows flags about PINs and words that merely contain "pin"', () => {
    const subject = {
      userPinLocked: true,
      soPinCountLow: false,
      mapping: 'x',
      spinner: 1,
      pinned: null,
    };
    expect(appendAudit(store, { action: 'init-token', subject }).subject).toEqual(subject);
  });
});

describe('the table', () => {
  it('refuses UPDATE and DELETE through its triggers', () => {
    appendFive();
    expect(() => store.db.prepare("UPDATE audit_log SET action = 'x' WHERE seq = 2").run()).toThrow(
      'the audit log is append-only',
    );
    expect(() => store.db.prepare('DELETE FROM audit_log WHERE seq = 5').run()).toThrow(
      'the audit log is append-only',
    );
    expect(verifyAuditChain(store)).toEqual({ intact: true, entries: 5 });
  });
});

describe('verifyAuditChain', () => {
  it('is intact for an empty log and a good one', () => {
    expect(verifyAuditChain(store)).toEqual({ intact: true, entries: 0 });
    appendFive();
    expect(verifyAuditChain(store)).toEqual({ intact: true, entries: 5 });
  });

  it('finds an edited row when the trigger is dropped first', () => {
    appendFive();
    store.db.exec('DROP TRIGGER audit_log_no_update');
    store.db
      .prepare(`UPDATE audit_log SET subject = json_set(subject, '$.amount', '1') WHERE seq = 3`)
      .run();
    expect(verifyAuditChain(store)).toEqual({ intact: false, firstBadSeq: 3, entries: 5 });
  });

  it('finds a rewritten row at the next one when the forger also fixed its hash', () => {
    appendFive();
    store.db.exec('DROP TRIGGER audit_log_no_update');
    store.db.prepare(`UPDATE audit_log SET hash = ? WHERE seq = 2`).run('f'.repeat(64));
    expect(verifyAuditChain(store)).toMatchObject({ intact: false, firstBadSeq: 2 });
    // A forger who also recomputes row 2's hash for its new content breaks row 3's link instead.
    const [row2] = listAudit(store, { limit: 1, offset: 3 });
    const { hash, ...unhashed } = { ...row2!, action: 'generate-key-edited' };
    const forged = createHash('sha256')
      .update(unhashed.prevHash)
      .update(canonicalJson(unhashed))
      .digest('hex');
    expect(forged).not.toBe(hash);
    store.db
      .prepare('UPDATE audit_log SET action = ?, hash = ? WHERE seq = 2')
      .run(unhashed.action, forged);
    expect(verifyAuditChain(store)).toMatchObject({ intact: false, firstBadSeq: 3 });
  });

  it('finds a deleted row at the row after it', () => {
    appendFive();
    store.db.exec('DROP TRIGGER audit_log_no_delete');
    store.db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    expect(verifyAuditChain(store)).toEqual({ intact: false, firstBadSeq: 5, entries: 4 });
  });
});

describe('listAudit', () => {
  it('lists newest first with paging and searches action, URI, subject and hash', () => {
    appendFive();
    expect(listAudit(store, { limit: 2 }).map((e) => e.seq)).toEqual([5, 4]);
    expect(listAudit(store, { limit: 2, offset: 4 }).map((e) => e.seq)).toEqual([1]);
    expect(listAudit(store, { search: 'GENERATE', limit: 10 }).map((e) => e.seq)).toEqual([2]);
    expect(listAudit(store, { search: '"nonce":1', limit: 10 }).map((e) => e.seq)).toEqual([4]);
    expect(listAudit(store, { search: hex32(3), limit: 10 }).map((e) => e.seq)).toEqual([5]);
    expect(listAudit(store, { search: 'token=Signet', limit: 10 })).toHaveLength(5);
    expect(listAudit(store, { search: '100%', limit: 10 })).toEqual([]); // % is literal
  });
});

describe('exportAuditCsv', () => {
  it('writes RFC 4180: header, CRLF, quotes doubled only where needed', () => {
    appendAudit(store, { action: 'sign-typed-data', keyUri, subject: { memo: 'say "hi", twice' } });
    appendAudit(store, { action: 'odd, "quoted"\r\naction', subject: {} });
    const csv = exportAuditCsv(store);
    const [second, first] = listAudit(store, { limit: 2 });
    expect(csv).toBe(
      'seq,at,action,keyUri,subject,txHash,prevHash,hash\r\n' +
        `1,${first!.at},sign-typed-data,${keyUri},"{""memo"":""say \\""hi\\"", twice""}",` +
        `,${GENESIS_HASH},${first!.hash}\r\n` +
        `2,${second!.at},"odd, ""quoted""\r\naction",,{},,${first!.hash},${second!.hash}\r\n`,
    );
  });

  it('is just the header for an empty log', () => {
    expect(exportAuditCsv(store)).toBe('seq,at,action,keyUri,subject,txHash,prevHash,hash\r\n');
  });
});

describe('two processes', () => {
  it('append to one chain when the app and the CLI interleave', () => {
    const temp = tempDir();
    onTestFinished(temp.remove);
    const file = join(temp.dir, 'signet.db');
    const app = openStore(file);
    const cli = openStore(file);
    for (let i = 0; i < 6; i++) {
      appendAudit(i % 2 ? cli : app, { action: 'sign-transaction', subject: { i } });
    }
    expect(verifyAuditChain(app)).toEqual({ intact: true, entries: 6 });
    expect(listAudit(cli, { limit: 10 }).map((e) => e.subject.i)).toEqual([5, 4, 3, 2, 1, 0]);
    app.close();
    cli.close();
  });
});
