/**
 * The app API's events (createAppApi's onEvent): a sync reports its progress
 * and then the nodes' state, each event checked against core/api/events.ts.
 * The profile's only node is a closed port, so the sync fails fast and for real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortProfile } from '../../test/support/store-fixtures.js';
import { type ApiEvent, apiEventSchema } from '../api/events.js';
import { writeActiveProfile } from '../chain/profile-file.js';
import { createAppApi } from './app-api.js';

const profile = closedPortProfile({ name: 'events ledger', chainId: 4243, confirmations: 0 });

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'signet-app-events-'));
  writeActiveProfile(profile, { SIGNET_HOME: home });
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('createAppApi onEvent', () => {
  it('a failing sync.run sends sync.progress from sending to failed, then ledger.nodes', async () => {
    const events: ApiEvent[] = [];
    const api = createAppApi({ home, env: {}, onEvent: (e) => events.push(e) });
    try {
      const reply = await api.dispatch('sync.run', {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'NODE_UNREACHABLE' } });
      for (const event of events) expect(apiEventSchema.safeParse(event).success).toBe(true);
      expect(events.map((e) => (e.type === 'sync.progress' ? e.payload.phase : e.type))).toEqual([
        'sending',
        'failed',
        'ledger.nodes',
      ]);
      expect(events[1]).toMatchObject({
        type: 'sync.progress',
        payload: { phase: 'failed', error: reply.ok ? '' : reply.error.message },
      });
      expect(events[2]).toEqual({
        type: 'ledger.nodes',
        payload: { nodes: [expect.objectContaining({ url: 'http://127.0.0.1:1', state: 'down' })] },
      });
    } finally {
      api.close();
    }
  });

  it('a listener that throws is reported as an internal error and breaks nothing', async () => {
    const internal: string[] = [];
    const api = createAppApi({
      home,
      env: {},
      onEvent: () => {
        throw new Error('UI bug');
      },
      onInternalError: (method) => internal.push(method),
    });
    try {
      const reply = await api.dispatch('sync.run', {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'NODE_UNREACHABLE' } });
      expect(internal).toEqual([
        'event sync.progress',
        'event sync.progress',
        'event ledger.nodes',
      ]);
    } finally {
      api.close();
    }
  });

  it('each sync.run asks a node that just failed again, without waiting out its back-off', async () => {
    // A FAKE node that fails every request (HTTP 502): the pool marks it down with a 2 s back-off.
    let requests = 0;
    const node = createServer((_req, res) => {
      requests++;
      res.writeHead(502).end('bad gateway');
    });
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(node.address() as AddressInfo).port}`;
    writeActiveProfile({ ...profile, rpc: [url] }, { SIGNET_HOME: home });
    const api = createAppApi({ home, env: {} });
    try {
      for (const expected of [1, 2, 3]) {
        const reply = await api.dispatch('sync.run', {});
        expect(reply).toMatchObject({ ok: false, error: { code: 'NODE_UNREACHABLE' } });
        expect(requests).toBe(expected);
      }
    } finally {
      api.close();
      writeActiveProfile(profile, { SIGNET_HOME: home });
      await new Promise((resolve) => node.close(resolve));
    }
  });
});
