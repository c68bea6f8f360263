import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createClient, type CorralClient } from '../../../src/client/index.js';
import { startTestServer, type TestServer } from '../server/helpers.js';
import { startProxy, type CutProxy } from './proxy.js';
import { waitFor } from '../../helpers/wait-for.js';

let srv: TestServer | undefined;
let proxy: CutProxy | undefined;
let client: CorralClient | undefined;

afterEach(async () => {
  await client?.close();
  await proxy?.close();
  await srv?.close();
  client = proxy = srv = undefined;
});

function publish(from: number, to: number): void {
  for (let n = from; n <= to; n++) {
    const r = srv!.bus.publish({ event_type: 'test.tick', source: 'test', session_id: 's', payload: { n } });
    if (!r.ok) throw new Error(r.error.error_message);
  }
}

async function setup(replayCap?: number): Promise<{ got: number[]; opens: boolean[] }> {
  srv = await startTestServer(replayCap !== undefined ? { replayCap } : {});
  proxy = await startProxy(srv.server.port);
  client = createClient({ url: `http://127.0.0.1:${proxy.port}`, filter: { event_type: 'test.*' }, reconnect: { initial: 20, max: 100 } });
  const got: number[] = [];
  const opens: boolean[] = [];
  client.on('event', (e) => got.push((e.payload as { n: number }).n));
  client.on('open', (i) => opens.push(i.reconnect));
  await client.connect();
  return { got, opens };
}

describe('client reconnect and resume', () => {
  test('a client cut off while events flow gets every one of them exactly once after it reconnects', async () => {
    const { got, opens } = await setup();
    publish(1, 5);
    await waitFor('the first live events', () => got.length === 5);
    proxy!.cut();
    await waitFor('the client to notice the drop', () => !client!.connected);
    publish(6, 30);
    proxy!.restore();
    await waitFor('the replay after the reconnect', () => got.length >= 30);
    publish(31, 40);
    await waitFor('live events after the reconnect', () => got.length >= 40);
    expect(got).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(opens).toEqual([false, true]);
    expect(client!.lastSeq).toBe(srv!.bus.history({ event_type: 'test.*' }, { order: 'desc', limit: 1 }).events[0]!.seq);
  });

  test('a replay cut short by the server is continued until nothing is missing', async () => {
    const { got } = await setup(7);
    publish(1, 2);
    await waitFor('the first live events', () => got.length === 2);
    proxy!.cut();
    await waitFor('the client to notice the drop', () => !client!.connected);
    publish(3, 40);
    proxy!.restore();
    await waitFor('the whole replay', () => got.length >= 40);
    publish(41, 45);
    await waitFor('live events after the replay', () => got.length >= 45);
    expect(got).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
  });

  test('register, publish and subscribe reach the bus; a register is repeated after a reconnect', async () => {
    srv = await startTestServer();
    proxy = await startProxy(srv.server.port);
    const started: string[] = [];
    srv.bus.subscribe({ event_type: 'component.started' }, (e) => started.push(String((e.event.payload as { component: string }).component)));
    client = createClient({ url: `http://127.0.0.1:${proxy.port}`, component: { component: 'probe' }, reconnect: { initial: 20, max: 100 } });
    const got: string[] = [];
    client.on('event', (e, meta) => {
      if (!meta.replay) got.push(e.event_type);
    });
    await client.connect();
    await waitFor('component.started for the client', () => started.length === 1);
    client.subscribe({ event_type: 'mine.*' });
    client.publish({ event_type: 'other.x', source: 'probe', session_id: 's' });
    client.publish({ event_type: 'mine.x', source: 'probe', session_id: 's' });
    await waitFor('its own event back through its new filter', () => got.includes('mine.x'));
    expect(got).not.toContain('other.x');
    proxy.cut();
    await waitFor('the drop', () => !client!.connected);
    // Published while disconnected: queued and sent on reconnect.
    client.publish({ event_type: 'mine.y', source: 'probe', session_id: 's' });
    proxy.restore();
    await waitFor('the register to be repeated', () => started.length === 2);
    await waitFor('the queued event', () => got.includes('mine.y'));
  });

  test('url and token functions are asked again before every attempt (one that throws is retried): the client follows a daemon that moved', async () => {
    srv = await startTestServer({ auth: 'required' });
    const { TOKEN } = await import('../server/helpers.js');
    proxy = await startProxy(srv.server.port);
    const moved = await startProxy(srv.server.port);
    try {
      let port = proxy.port;
      let failNext = false;
      const asked: number[] = [];
      client = createClient({
        url: () => {
          if (failNext) {
            failNext = false;
            throw new Error('no daemon.json just now');
          }
          asked.push(port);
          return `http://127.0.0.1:${port}`;
        },
        token: async () => TOKEN,
        filter: { event_type: 'test.*' },
        reconnect: { initial: 20, max: 100 },
      });
      const got: number[] = [];
      const errors: string[] = [];
      client.on('event', (e) => got.push((e.payload as { n: number }).n));
      client.on('error', (e) => errors.push(e.error_message));
      await client.connect();
      publish(1, 2);
      await waitFor('the first live events', () => got.length === 2);
      failNext = true;
      port = moved.port;
      proxy.cut();
      await waitFor('the client to notice the drop', () => !client!.connected);
      publish(3, 5);
      await waitFor('the events missed while it moved', () => got.length >= 5);
      publish(6, 6);
      await waitFor('a live event at the new address', () => got.length >= 6);
      expect(got).toEqual([1, 2, 3, 4, 5, 6]);
      expect(asked).toEqual([proxy.port, moved.port]);
      expect(errors).toContain('cannot connect: no daemon.json just now');
      expect(moved.accepted()).toBe(1);
    } finally {
      await client?.close();
      client = undefined;
      await moved.close();
    }
  });

  test('connect rejects, naming the address, when nothing listens', async () => {
    srv = await startTestServer();
    const port = srv.server.port;
    await srv.close();
    srv = undefined;
    const c = createClient({ url: `http://127.0.0.1:${port}` });
    await expect(c.connect()).rejects.toThrow(`cannot connect to http://127.0.0.1:${port}`);
    await c.close();
  });

  test('with a state directory, connect finds the daemon in its daemon.json, and rejects saying so when there is none', async () => {
    srv = await startTestServer();
    const stateDir = mkdtempSync(join(tmpdir(), 'corral-client-state-'));
    try {
      const none = createClient({ stateDir, reconnect: false });
      await expect(none.connect()).rejects.toThrow(`corral is not running for the state directory ${stateDir} (no daemon.json there)`);
      await none.close();
      writeFileSync(join(stateDir, 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: srv.server.port, started_at: Date.now(), version: 'test', config: 'x' }));
      client = createClient({ stateDir });
      await client.connect();
      expect(client.connected).toBe(true);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});

describe('client authentication', () => {
  test('without the token a required-auth daemon refuses with its reason; with it the client connects', async () => {
    srv = await startTestServer({ auth: 'required' });
    const url = `http://127.0.0.1:${srv.server.port}`;
    const refused = createClient({ url, reconnect: false });
    await expect(refused.connect()).rejects.toThrow(/HTTP 401: .*token/);
    await refused.close();
    const { TOKEN } = await import('../server/helpers.js');
    client = createClient({ url, token: TOKEN });
    await client.connect();
    expect(client.connected).toBe(true);
  });
});

describe('client liveness', () => {
  test('a connection that brings nothing for idleTimeoutMs is dropped and reconnected', async () => {
    const { WebSocketServer } = await import('ws');
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => silent.once('listening', () => r()));
    let connections = 0;
    silent.on('connection', () => connections++);
    try {
      client = createClient({ url: `ws://127.0.0.1:${(silent.address() as { port: number }).port}/events`, idleTimeoutMs: 150, reconnect: { initial: 10, max: 50 } });
      const closes: boolean[] = [];
      client.on('close', (i) => closes.push(i.reconnecting));
      await client.connect();
      await waitFor('a reconnect after the silent connection was dropped', () => connections >= 2);
      expect(closes[0]).toBe(true);
    } finally {
      await client?.close();
      client = undefined;
      for (const c of silent.clients) c.terminate();
      await new Promise((r) => silent.close(r));
    }
  });
});
