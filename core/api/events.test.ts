import { describe, expect, it } from 'vitest';
import { apiEventSchema, type SyncProgress, syncProgressSchema } from './events.js';

const scanning: SyncProgress = {
  phase: 'logs',
  fromBlock: 1_201,
  toBlock: 10_000,
  currentBlock: 2_400,
  sent: 1,
  confirmed: 0,
  events: 12,
};
const card = { id: 'pkcs11-token /m.so serial=ab12', kind: 'pkcs11-token', label: 'Card' };
const changed = (payload: { added?: unknown[]; removed?: unknown[] }) => ({
  type: 'devices.changed',
  payload: { added: [], removed: [], ...payload },
});
const batch = (checked: unknown, rows: unknown) => ({
  type: 'treasury.batch.progress',
  payload: { checked, rows },
});
const progress = (change: Record<string, unknown> = {}) => ({
  type: 'sync.progress',
  payload: { ...scanning, ...change },
});

describe('the events contract', () => {
  it('accepts each kind of event', () => {
    const good = [
      { type: 'hello', payload: { server: 'signet-bridge' } },
      progress(),
      progress({ phase: 'sending', fromBlock: null, toBlock: null, currentBlock: null }),
      progress({ phase: 'receipts', fromBlock: null, currentBlock: null }),
      // The scan starts with nothing done yet: currentBlock = fromBlock - 1.
      progress({ currentBlock: 1_200 }),
      progress({ phase: 'done', currentBlock: 10_000 }),
      // Nothing to scan (no accounts, or already at the head).
      progress({ phase: 'done', fromBlock: null, currentBlock: null }),
      progress({ phase: 'failed', error: 'no ledger node answered: http://127.0.0.1:1' }),
      {
        type: 'ledger.nodes',
        payload: {
          nodes: [
            { url: 'http://127.0.0.1:8545', state: 'up', head: 10_000, latencyMs: 3 },
            { url: 'http://127.0.0.1:1', state: 'down', lastError: 'connection refused' },
          ],
        },
      },
      changed({ added: [card] }),
      changed({ removed: [card, { ...card, id: 'pkcs11-token /m.so slot=3', label: '' }] }),
      // Another kind of device, from a source added later (HID), passes the same contract.
      changed({ added: [{ id: 'hid 2c97:4011 1-2', kind: 'hid-device', label: 'Nano' }] }),
      batch(0, 500),
      batch(500, 500),
    ];
    for (const event of good) expect(apiEventSchema.safeParse(event).error).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['no type', { payload: scanning }],
    ['an unknown type', { type: 'sync.finished', payload: scanning }],
    ['a type that is not a string', { type: 7, payload: scanning }],
    ['no payload', { type: 'sync.progress' }],
    ['a payload of another type', { type: 'ledger.nodes', payload: scanning }],
    ['junk beside type and payload', { ...progress(), at: 1 }],
    ['junk in the payload', progress({ secret: 'x' })],
    ['an unknown phase', progress({ phase: 'mining' })],
    ['a count missing', progress({ events: undefined })],
    ['a fractional block', progress({ currentBlock: 2_400.5 })],
    ['a negative count', progress({ sent: -1 })],
    ['a block as a string', progress({ toBlock: '10000' })],
    ['a position before the scan', progress({ currentBlock: 1_199 })],
    ['a position past the end', progress({ currentBlock: 10_001 })],
    ['a scan that starts after its end', progress({ fromBlock: 10_002, currentBlock: 10_001 })],
    ['a scan without a position', progress({ currentBlock: null })],
    ['an error while running', progress({ error: 'boom' })],
    ['a failure without its error', progress({ phase: 'failed' })],
    ['an empty error', progress({ phase: 'failed', error: '' })],
    ['an error of a novel’s length', progress({ phase: 'failed', error: 'x'.repeat(1_001) })],
    ['a node without a URL', { type: 'ledger.nodes', payload: { nodes: [{ state: 'up' }] } }],
    [
      'a node state that does not exist',
      { type: 'ledger.nodes', payload: { nodes: [{ url: 'http://a', state: 'asleep' }] } },
    ],
    ['a hello from nobody', { type: 'hello', payload: {} }],
    ['a device change that changes nothing', changed({})],
    ['a device without an id', changed({ added: [{ ...card, id: '' }] })],
    ['a device kind in capitals', changed({ added: [{ ...card, kind: 'PKCS11' }] })],
    [
      'a device label of a novel’s length',
      changed({ added: [{ ...card, label: 'x'.repeat(65) }] }),
    ],
    ['junk beside a device', changed({ removed: [{ ...card, pin: '1234' }] })],
    ['a device change without its lists', { type: 'devices.changed', payload: { added: [card] } }],
    [
      'more devices than one event names',
      changed({ added: Array.from({ length: 257 }, (_, i) => ({ ...card, id: `t${i}` })) }),
    ],
    ['more batch rows checked than there are', batch(501, 500)],
    ['a batch of no rows', batch(0, 0)],
    ['a fractional batch count', batch(1.5, 500)],
    ['junk in a batch progress', { ...batch(1, 2), payload: { checked: 1, rows: 2, csv: 'x' } }],
    ['null', null],
    ['an array', [progress()]],
    ['a string', 'sync.progress'],
  ])('rejects %s', (_name, event) => {
    expect(apiEventSchema.safeParse(event).success).toBe(false);
  });

  it('types the payload by the event type', () => {
    const parsed = apiEventSchema.parse(progress());
    expect(parsed.type === 'sync.progress' && parsed.payload.currentBlock).toBe(2_400);
    expect(syncProgressSchema.parse(scanning)).toEqual(scanning);
  });
});
