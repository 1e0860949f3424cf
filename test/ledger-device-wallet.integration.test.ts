/**
 * Accounts on a Ledger, added, listed and used exactly like token accounts,
 * through the `signet` CLI and the UI's API, on the dev ledger. There is no USB
 * here: the Ledger is the FAKE device (test/fakes/fake-ledger-device.ts) under
 * @ledgerhq's real TransportNodeHid and hw-app-eth. A payment signed on it
 * offline settles on the dev ledger; a finance offer (EIP-712) signed on it is
 * accepted by a bank whose account is on the same Ledger (two transactions,
 * confirmed one after the other on the device); and every device state is
 * refused in its own words with nothing signed or stored. No PIN is ever asked:
 * a Ledger's PIN is typed on the device.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keccak256, parseTransaction, recoverTransactionAddress, serializeTransaction } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiMethod, ApiRequest, ApiResult } from '../core/api/methods.js';
import { createAppApi } from '../core/app/app-api.js';
import { offerSigner } from '../core/wallet/finance-offer.js';
import { formatLedgerDeviceUri } from '../native/hid/uri.js';
import { FakeLedgerDevice, fakeHidBackend } from './fakes/fake-ledger-device.js';
import { signet } from './support/cli.js';
import { useWallet } from './support/wallet-fixture.js';

const device = new FakeLedgerDevice();
const hid = fakeHidBackend([device]);
const w = useWallet(['alice', 'bob'], { hid });
const files = mkdtempSync(join(tmpdir(), 'signet-ledger-device-'));
afterAll(() => rmSync(files, { recursive: true, force: true }));

/** Two accounts on the one Ledger: a holder (account 1) and a bank (account 2). */
const holder = {
  uri: formatLedgerDeviceUri({ device: device.address(0), account: 1 }),
  address: device.address(1),
};
const bank = {
  uri: formatLedgerDeviceUri({ device: device.address(0), account: 2 }),
  address: device.address(2),
};
const json = w.json;
const outbox = async () => json(['outbox']);
const audit = async () => json(['audit', '--limit', '500']);
const balances = async () =>
  Object.fromEntries(
    (await json(['balance'])).map((r: { address: string; balance: string }) => [
      r.address,
      r.balance,
    ]),
  ) as Record<string, string>;

/** The UI's door to the same data directory and the same Ledger. */
async function ui<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResult<M>> {
  const api = createAppApi({ home: w.home, env: w.env, hid });
  try {
    const reply = await api.dispatch(method, request);
    if (!reply.ok) throw Object.assign(new Error(reply.error.message), reply.error);
    return reply.result as ApiResult<M>;
  } finally {
    api.close();
  }
}

async function syncSettled() {
  for (let round = 0; round < 20; round++) {
    await json(['sync']);
    const rows: Array<{ status: string }> = await outbox();
    if (rows.every((t) => t.status === 'confirmed' || t.status === 'failed')) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the outbox did not settle in 20 syncs');
}

/** A command the device state refuses: its exit code, one line in words, nothing signed or stored. */
async function refused(args: string[], exit: 1 | 2, code: string, message: string | RegExp) {
  const before = { outbox: await outbox(), audit: await audit(), screens: device.screens.length };
  const run = await w.cli([...args, '--json']);
  expect(run.code).toBe(exit);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  if (typeof message === 'string') expect(run.stderr.trimEnd()).toBe(`signet: ${message}`);
  else expect(run.stderr.trimEnd()).toMatch(message);
  expect(run.json.error.code).toBe(code);
  expect(await outbox()).toEqual(before.outbox);
  expect(await audit()).toEqual(before.audit);
  return device.screens.length - before.screens;
}

const send = (amount: string) => [
  'send',
  '--from',
  holder.uri,
  '--to',
  w.keys.bob!.address,
  '--amount',
  amount,
  '--offline',
];

describe('a Ledger account, like a token account', () => {
  it('`signet devices list` shows the Ledger, its app and its device id', async () => {
    const [listed] = await json(['devices', 'list']);
    expect(listed).toEqual({
      path: device.path,
      product: 'Nano S Plus',
      productId: 0x5011,
      serial: '0001',
      open: { ok: true },
      app: { name: 'Ethereum', version: '1.10.3' },
      deviceId: device.address(0),
      uri: formatLedgerDeviceUri({ device: device.address(0), account: 0 }),
      problem: null,
    });
    const human = await w.cli(['devices', 'list']);
    expect(human.stdout).toBe(
      `Nano S Plus  ${device.path}  Ethereum 1.10.3\n  device ${device.address(0)}\n  ${listed.uri}\n`,
    );
  });

  it('adds an account from the Ledger with `signet account add --key ledger:…`, no PIN asked', async () => {
    // No --pin-file and nothing on stdin: a PIN prompt would fail the command.
    const added = await json(['account', 'add', '--key', holder.uri, '--name', 'ledger holder']);
    expect(added).toMatchObject({
      address: holder.address,
      keyUri: holder.uri,
      curve: 'secp256k1',
    });
    // The page adds one by device id and account index (Signet builds the URI).
    const viaUi = await ui('accounts.addLedgerDevice', {
      device: device.address(0).toLowerCase(),
      account: 2,
      name: 'ledger bank',
    });
    expect(viaUi).toMatchObject({ address: bank.address, keyUri: bank.uri });
    const accounts = await json(['accounts']);
    expect(accounts.map((a: { name: string; keyUri: string }) => [a.name, a.keyUri])).toEqual([
      ['alice', w.keys.alice!.uri],
      ['bob', w.keys.bob!.uri],
      ['ledger holder', holder.uri],
      ['ledger bank', bank.uri],
    ]);
  });

  it('funds the Ledger accounts and syncs', async () => {
    await json(['ledger', 'fund', '--account', w.keys.alice!.address, '--amount', '1000.00']);
    await json(['ledger', 'fund', '--account', w.keys.bob!.address, '--amount', '1.00']);
    await json(['ledger', 'fund', '--account', holder.address, '--amount', '100.00']);
    await json(['ledger', 'fund', '--account', bank.address, '--amount', '500.00']);
    await json(['sync']);
    expect(await balances()).toMatchObject({
      [holder.address]: '100.00',
      [bank.address]: '500.00',
    });
  });

  it('signs a payment offline on the Ledger; sync settles it on the dev ledger', async () => {
    const signed = await json(send('12.34'));
    expect(signed.sync).toBeNull();
    expect(signed.transactions).toMatchObject([
      { status: 'signed', kind: 'transfer', nonce: 0, amount: '12.34' },
    ]);
    // The device blind-signed the currency call and showed its hash.
    const screen = device.screens.at(-1)!;
    expect(screen).toMatchObject({ kind: 'transaction', decision: 'approve' });
    expect(await syncSettled()).toMatchObject([
      { status: 'confirmed', txHash: signed.transactions[0].txHash },
    ]);
    expect(await balances()).toMatchObject({
      [holder.address]: '87.66',
      [w.keys.bob!.address]: '13.34',
    });
    // On the chain, independently of Signet: the transaction is the Ledger account's,
    // and its hash before signing is the one the device showed.
    const tx = await w.ledger.publicClient.getTransaction({ hash: signed.transactions[0].txHash });
    expect(tx.from).toBe(holder.address.toLowerCase());
    const unsigned = serializeTransaction({
      type: 'eip1559',
      chainId: w.ledger.profile.chainId,
      nonce: tx.nonce,
      to: tx.to!,
      value: tx.value,
      data: tx.input,
      gas: tx.gas,
      maxFeePerGas: tx.maxFeePerGas!,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas!,
    });
    expect(screen.hashes).toEqual([keccak256(unsigned)]);
    const onChain = serializeTransaction(parseTransaction(unsigned), {
      r: tx.r,
      s: tx.s,
      yParity: tx.yParity!,
    });
    expect(keccak256(onChain)).toBe(signed.transactions[0].txHash);
    expect(await recoverTransactionAddress({ serializedTransaction: onChain as never })).toBe(
      holder.address,
    );
    // The audit log names the Ledger key that signed.
    const {
      entries: [entry],
    } = await json(['audit', '--limit', '1']);
    expect(entry).toMatchObject({
      action: 'sign-transaction',
      keyUri: holder.uri,
      txHash: signed.transactions[0].txHash,
    });
  });

  it('the UI reviews a payment with the hash the Ledger will show, and signs it without a PIN', async () => {
    const draft = { from: holder.uri, to: w.keys.bob!.address, amount: '1.00' };
    const preview = await ui('wallet.previewSend', draft);
    expect(preview.deviceConfirm).toEqual({
      device: 'ledger',
      transactionHashes: [expect.stringMatching(/^0x[0-9a-f]{64}$/)],
      typedData: null,
    });
    const sent = await ui('wallet.send', {
      ...draft,
      reviewDigest: preview.reviewDigest,
      offline: true,
    });
    expect(sent.transactions).toMatchObject([{ status: 'signed', nonce: 1 }]);
    expect(device.screens.at(-1)?.hashes).toEqual(preview.deviceConfirm!.transactionHashes);
    // A token account's review has no device hashes: its signature is the token's, after the PIN.
    const token = await ui('wallet.previewSend', { ...draft, from: w.keys.alice!.uri });
    expect(token.deviceConfirm).toBeUndefined();
    await syncSettled();
  });

  it('a finance offer (EIP-712) signed on the Ledger is accepted by a bank on the same Ledger', async () => {
    const maturity = new Date((Number(await w.ledger.now()) + 30 * 86_400) * 1000)
      .toISOString()
      .slice(0, 10);
    await json([
      'note',
      'issue',
      '--from',
      w.keys.alice!.uri,
      '--to',
      holder.address,
      '--amount',
      '500.00',
      '--maturity',
      maturity,
      '--pin-file',
      w.pin,
    ]);
    await syncSettled();
    const [note] = await json(['notes', '--account', holder.address]);
    expect(note).toMatchObject({ holder: holder.address, value: '500.00' });

    // The UI's review shows the two hashes the device will show; signing shows exactly those.
    const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const operation = {
      op: 'finance-offer' as const,
      from: holder.uri,
      tokenId: note.tokenId,
      bank: bank.address,
      price: '95.00',
      value: '100.00',
      deadline,
    };
    const preview = await ui('notes.preview', { operation, offline: true });
    const { domainHash, messageHash } = preview.deviceConfirm!.typedData!;
    const reviewed = { ...operation, nonce: preview.typedData!.message.nonce! };
    const executed = await ui('notes.execute', {
      operation: reviewed,
      reviewDigest: preview.reviewDigest,
      offline: true,
    });
    expect(device.screens.at(-1)).toEqual({
      kind: 'typed-data',
      hashes: [domainHash, messageHash],
      decision: 'approve',
    });
    // Verified offline: the signature recovers to the Ledger account the file names.
    expect(await offerSigner(w.ledger.profile, executed.offer!)).toBe(holder.address);
    const out = join(files, 'offer.json');
    writeFileSync(out, JSON.stringify(executed.offer));

    // The CLI signs offers on the Ledger the same way.
    const cliOffer = join(files, 'cli-offer.json');
    await json([
      'note',
      'finance',
      '--from',
      holder.uri,
      '--note',
      note.tokenId,
      '--bank',
      bank.address,
      '--price',
      '90.00',
      '--amount',
      '50.00',
      '--out',
      cliOffer,
      '--offline',
    ]);
    const fromCli = JSON.parse(readFileSync(cliOffer, 'utf8'));
    expect(await offerSigner(w.ledger.profile, fromCli)).toBe(holder.address);
    expect(device.screens.at(-1)?.hashes[0]).toBe(domainHash);

    // The bank, on the same Ledger, accepts: approve and finance, confirmed one at a time.
    const screens = device.screens.length;
    const accepted = await json(['note', 'finance-accept', '--from', bank.uri, '--offer', out]);
    expect(device.screens.length - screens).toBe(2);
    expect(accepted.transactions).toMatchObject([
      { kind: 'approve', status: 'confirmed' },
      { kind: 'note-finance', status: 'confirmed', error: null },
    ]);
    await syncSettled();
    expect(await balances()).toMatchObject({
      [holder.address]: '181.66',
      [bank.address]: '405.00',
    });
    expect(await json(['notes', '--account', bank.address])).toEqual([
      expect.objectContaining({ value: '100.00', holder: bank.address }),
    ]);
  });
});

describe('every device state, in words, with nothing signed or stored', () => {
  const reset = () => {
    device.locked = false;
    device.app = 'Ethereum';
    device.decide = 'approve';
    device.blindSigning = true;
    device.openError = undefined;
    device.plugIn();
  };

  it('locked', async () => {
    device.locked = true;
    try {
      await refused(
        send('1.00'),
        1,
        'DEVICE_LOCKED',
        'the Ledger is locked: unlock it with its PIN, on the device, and try again',
      );
    } finally {
      reset();
    }
  });

  it('the wrong app open (the dashboard, or another app)', async () => {
    try {
      device.app = 'BOLOS';
      await refused(
        send('1.00'),
        1,
        'DEVICE_APP_NOT_OPEN',
        'the dashboard is open on the Ledger, not the Ethereum app: open it and try again',
      );
      device.app = 'Bitcoin';
      await refused(
        send('1.00'),
        1,
        'DEVICE_APP_NOT_OPEN',
        'the Bitcoin app is open on the Ledger, not the Ethereum app: open it and try again',
      );
    } finally {
      reset();
    }
  });

  it('refused on the device', async () => {
    device.decide = 'refuse';
    try {
      const shown = await refused(
        send('1.00'),
        1,
        'DEVICE_REFUSED',
        'refused on the Ledger: nothing was signed',
      );
      expect(shown).toBe(1);
    } finally {
      reset();
    }
  });

  it('blind signing off', async () => {
    device.blindSigning = false;
    try {
      await refused(
        send('1.00'),
        1,
        'DEVICE_BLIND_SIGNING_OFF',
        `the Ledger cannot show this in full and its Ethereum app has "Blind signing" off: turn it on in the app's settings, then compare the hash on the device with the one Signet shows`,
      );
    } finally {
      reset();
    }
  });

  it('unplugged mid-signing: nothing stored, safe to retry, and the retry settles', async () => {
    device.unplugWhenSigning();
    try {
      await refused(
        send('2.00'),
        2,
        'DEVICE_DISCONNECTED',
        'the Ledger was unplugged while Signet asked it to sign the transaction; nothing was signed or stored, so it is safe to plug it back in and retry',
      );
      await refused(
        send('2.00'),
        2,
        'DEVICE_NOT_FOUND',
        `no Ledger is plugged in: plug in Ledger ${device.address(0)}, unlock it and open its Ethereum app`,
      );
    } finally {
      reset();
    }
    const retried = await json(send('2.00'));
    expect(retried.transactions).toMatchObject([{ status: 'signed', amount: '2.00' }]);
    expect((await syncSettled()).at(-1)).toMatchObject({ status: 'confirmed' });
  });

  it('busy in another program', async () => {
    device.openError = new TypeError(`cannot open device with path ${device.path}`);
    try {
      await refused(
        send('1.00'),
        2,
        'DEVICE_BUSY',
        `the Ledger at ${device.path} is busy: another program may be using it (Ledger Live, a browser tab using WebHID, MetaMask or Frame); close it there and try again`,
      );
    } finally {
      reset();
    }
  });

  it('no permission to open it (EACCES): names the udev rules and how to install them', async () => {
    device.openError = Object.assign(
      new Error(`EACCES: permission denied, open '${device.path}'`),
      { code: 'EACCES' },
    );
    try {
      await refused(
        send('1.00'),
        1,
        'DEVICE_ACCESS_DENIED',
        /^signet: Signet may not open the Ledger at fake-hid:ledger-0 \(permission denied\): install Signet's udev rules: `sudo cp \S+60-signet-hid\.rules \/etc\/udev\/rules\.d\/ && sudo udevadm control --reload-rules && sudo udevadm trigger`, then plug the Ledger in again$/,
      );
    } finally {
      reset();
    }
  });

  it('another Ledger plugged in (another recovery phrase)', async () => {
    const other = new FakeLedgerDevice({
      seed: 'test test test test test test test test test test test junk',
    });
    const run = await w.cli([...send('1.00'), '--json']);
    expect(run.code).toBe(0); // the right one signs
    await syncSettled();
    const before = await outbox();
    const wrong = await signet([...send('1.00'), '--json'], {
      env: w.env,
      hid: fakeHidBackend([other]),
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trimEnd()).toBe(
      `signet: the Ledger plugged in is device ${other.address(0)}, not ${device.address(0)} (it holds another recovery phrase)`,
    );
    expect(await outbox()).toEqual(before);
  });
});
