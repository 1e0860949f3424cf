/**
 * `signet addressbook`: the same address book, through the same handlers, as
 * the UI's Accounts screen. Each refusal is one line, exit 1, and changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeActiveProfile } from '../core/chain/profile-file.js';
import { signet } from './support/cli.js';
import { closedPortProfile } from './support/store-fixtures.js';

const home = mkdtempSync(join(tmpdir(), 'signet-addressbook-'));
const env = { ...process.env, SIGNET_HOME: home };
// A ledger whose nodes are down: the address book needs none, `signet audit` needs one selected.
beforeAll(() =>
  writeActiveProfile(closedPortProfile({ name: 't', chainId: 7, confirmations: 0 }), env),
);
afterAll(() => rmSync(home, { recursive: true, force: true }));

const bob = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const cli = (args: string[]) => signet(['addressbook', ...args], { env });

describe('signet addressbook', () => {
  it('adds, lists, renames and removes, in words and in JSON', async () => {
    expect((await cli(['list'])).stdout).toBe('the address book is empty\n');
    const added = await cli(['add', '--address', bob.toLowerCase(), '--name', 'Bob’s shop']);
    expect(added).toMatchObject({ code: 0, stdout: `added: Bob’s shop  ${bob}\n` });
    expect(await cli(['rename', '--address', bob, '--name', 'Bob', '--json'])).toMatchObject({
      code: 0,
      json: { address: bob, name: 'Bob' },
    });
    expect((await cli(['list', '--json'])).json).toEqual([
      { address: bob, name: 'Bob', createdAt: expect.any(String), updatedAt: expect.any(String) },
    ]);
    expect((await cli(['remove', '--address', bob])).stdout).toBe(`removed: Bob  ${bob}\n`);
    expect((await cli(['list', '--json'])).json).toEqual([]);
    // Every change is in the audit log.
    const audit = await signet(['audit', '--search', 'address-book', '--json'], { env });
    expect(audit.json.entries.map((e: { action: string }) => e.action)).toEqual([
      'address-book-remove',
      'address-book-rename',
      'address-book-add',
    ]);
  });

  it("refuses, in one line with exit 1, a bad address, a bad name, and a ledger contract's address", async () => {
    const cases: Array<[string[], RegExp]> = [
      [['add', '--address', '0x1234', '--name', 'X'], /not a 0x-prefixed 20-byte address/],
      [['add', '--address', bob, '--name', 'x'.repeat(65)], /name: at most 64 characters/],
      [['add', '--address', bob, '--name', 'Bob\u202E'], /no control or invisible characters/],
      [
        ['add', '--address', `0x${'c1'.padStart(40, '0')}`, '--name', 'Cash'],
        /is the ledger's currency contract; reviews name it so already/,
      ],
      [['rename', '--address', bob, '--name', 'Bob'], /is not in the address book/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect((await cli(['list', '--json'])).json).toEqual([]);
  });
});
