import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type CorralClient } from '../../../src/client/index.js';
import { MONITOR_REGISTRATION } from '../../../src/monitor/live.js';
import { makeError } from '../../../src/schema/errors.js';
import { checkEvent } from '../../../src/schema/events.js';
import { connect, hookEvent, startTestServer, useTestServer, type TestClient, type TestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let ts: TestServer | null = null;
const busClients: CorralClient[] = [];
useTestServer();
afterEach(async () => {
  await Promise.allSettled(busClients.splice(0).map((c) => c.close()));
});

const client = (url: string): Promise<TestClient> => connect(url);

describe('WebSocket bus protocol', () => {
  it('sends initial (the most recent matching events, oldest first), then each event once with metadata', async () => {
    ts = await startTestServer({ history: 3 });
    for (let i = 0; i < 5; i++) ts.bus.publish(hookEvent(i));
    const c = await client(ts.wsUrl('?event_type=PreToolUse'));
    const initial = await c.waitFor((m) => m.type === 'initial', 'initial');
    expect(initial.data.map((e: any) => e.payload.i)).toEqual([2, 3, 4]);
    const r = ts.bus.publish(hookEvent(5));
    const ev = await c.waitFor((m) => m.type === 'event' && m.data.payload?.i === 5, 'event 5');
    expect(r.ok && ev.data.id === r.entry.event.id).toBe(true);
    expect(ev.metadata).toMatchObject({ seq: r.ok ? r.entry.seq : -1 });
    expect(typeof ev.metadata.server_time).toBe('number');
    expect(typeof ev.metadata.message_id).toBe('string');
  });

  it('filters by the query string and by a later subscribe message', async () => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl('?event_type=component.*'));
    await c.waitFor((m) => m.type === 'initial', 'initial');
    ts.bus.publish(hookEvent(1));
    ts.bus.publish({ source: 'x', session_id: 's', event_type: 'component.health', payload: { n: 1 } });
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.health', 'component.health');
    expect(c.events().some((e) => e.event_type === 'PreToolUse')).toBe(false);
    c.send({ type: 'subscribe', data: { source: 'only-me' } });
    await c.waitFor((m) => m.type === 'initial' && c.messages.filter((x) => x.type === 'initial').length === 2, 'second initial');
    ts.bus.publish({ source: 'other', session_id: 's', event_type: 'a.b' });
    ts.bus.publish({ source: 'only-me', session_id: 's', event_type: 'a.c' });
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 'a.c', 'a.c');
    expect(c.events().some((e) => e.event_type === 'a.b')).toBe(false);
  });

  it('initial with ?after=SEQ replays every stored event after SEQ, then continues live without duplicates', async () => {
    ts = await startTestServer({ history: 2 });
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = ts.bus.publish(hookEvent(i));
      if (r.ok) seqs.push(r.entry.seq);
    }
    await ts.store.flush();
    const c = await client(ts.wsUrl(`?after=${seqs[3]}&event_type=PreToolUse`));
    const initial = await c.waitFor((m) => m.type === 'initial', 'initial');
    expect(initial.data.map((e: any) => e.payload.i)).toEqual([4, 5, 6, 7, 8, 9]);
    ts.bus.publish(hookEvent(10));
    await c.waitFor((m) => m.type === 'event' && m.data.payload?.i === 10, 'event 10');
    expect(c.events().map((e) => e.payload.i)).toEqual([10]);
  });

  it('register publishes component.started, and component.stopped when the socket closes', async () => {
    ts = await startTestServer();
    const watcher = await client(ts.wsUrl('?event_type=component.*,ws.*'));
    await watcher.waitFor((m) => m.type === 'initial', 'initial');
    const comp = await client(ts.wsUrl());
    comp.send({ type: 'register', data: { component: 'router', version: '1.2.3', capabilities: ['route'] } });
    const started = await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.started', 'component.started');
    expect(started.data).toMatchObject({ source: 'corral', session_id: 'test-session', payload: { component: 'router', plugin: 'websocket' } });
    comp.ws.close(1000);
    const stopped = await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.stopped', 'component.stopped');
    expect(stopped.data.payload).toMatchObject({ component: 'router', reason: 'stopped', close_code: 1000 });
    const disc = await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'ws.disconnected' && m.data.payload.component === 'router', 'ws.disconnected');
    expect(disc.data.payload.remote_address).toMatch(/^127\.0\.0\.1:/);
    expect(watcher.events().some((e) => e.event_type === 'ws.connected')).toBe(true);
  });

  it('keeps what a client registered with: its capabilities and version are in component.started and in GET /health connections', async () => {
    ts = await startTestServer();
    const watcher = await client(ts.wsUrl('?event_type=component.started'));
    await watcher.waitFor((m) => m.type === 'initial', 'initial');
    // The monitor's own client and registration, as `corral monitor` connects.
    const monitor = createClient({ url: `http://127.0.0.1:${ts.server.port}`, component: MONITOR_REGISTRATION, reconnect: false });
    busClients.push(monitor);
    await monitor.connect();
    const started = await watcher.waitFor((m) => m.type === 'event' && m.data.payload.component === 'cli-monitor', 'component.started for cli-monitor');
    expect(started.data.payload).toMatchObject({ component: 'cli-monitor', plugin: 'websocket', capabilities: ['display', 'filtering'] });
    expect(started.data.payload).not.toHaveProperty('version'); // the monitor sends none
    expect(checkEvent(started.data)).toMatchObject({ ok: true });

    const tool = await client(ts.wsUrl());
    tool.send({ type: 'register', data: { component: 'router', version: '1.2.3', capabilities: ['route', 'switch-model'] } });
    const routerStarted = await watcher.waitFor((m) => m.type === 'event' && m.data.payload.component === 'router', 'component.started for router');
    expect(routerStarted.data.payload).toMatchObject({ version: '1.2.3', capabilities: ['route', 'switch-model'] });
    expect(checkEvent(routerStarted.data)).toMatchObject({ ok: true });

    const health = (await (await fetch(`http://127.0.0.1:${ts.server.port}/health`)).json()) as {
      connections: { component: string | null; version: string | null; capabilities: string[] }[];
    };
    const byComponent = (name: string | null) => health.connections.filter((c) => c.component === name);
    expect(byComponent('cli-monitor')).toEqual([expect.objectContaining({ version: null, capabilities: ['display', 'filtering'] })]);
    expect(byComponent('router')).toEqual([expect.objectContaining({ version: '1.2.3', capabilities: ['route', 'switch-model'] })]);
    // A client that never registered says nothing of itself.
    expect(byComponent(null)).toEqual([expect.objectContaining({ version: null, capabilities: [] })]);
  });

  it('publishes client event messages (one or an array), filling id, timestamp and version', async () => {
    ts = await startTestServer();
    const sub = await client(ts.wsUrl('?source=pub'));
    await sub.waitFor((m) => m.type === 'initial', 'initial');
    const pub = await client(ts.wsUrl());
    pub.send({ type: 'event', data: { source: 'pub', session_id: 's', event_type: 'x.one' } });
    pub.send({ type: 'event', data: [{ source: 'pub', session_id: 's', event_type: 'x.two' }, { source: 'pub', session_id: 's', event_type: 'x.three' }] });
    await waitFor('three events', () => sub.events().length === 3);
    const [one] = sub.events();
    expect(one).toMatchObject({ event_type: 'x.one', version: '1.0' });
    expect(one.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof one.timestamp).toBe('number');
  });

  it('sends ecosystem errors (error.* events) to every connection as error messages, and heartbeats', async () => {
    ts = await startTestServer({ heartbeatMs: 50, heartbeat: () => ({ router: 'healthy' }) });
    const a = await client(ts.wsUrl('?event_type=nothing.matches'));
    await a.waitFor((m) => m.type === 'initial', 'initial');
    ts.bus.publishError(makeError('CMP002', 'router', 'router crashed 5 times in 60s'));
    const err = await a.waitFor((m) => m.type === 'error', 'error message');
    expect(err.data).toMatchObject({ error_code: 'CMP002', component: 'router' });
    const hb = await a.waitFor((m) => m.type === 'heartbeat', 'heartbeat');
    expect(hb.data.components).toEqual({ router: 'healthy' });
    expect(hb.data.next_check).toBeGreaterThan(hb.data.timestamp);
  });

  it('serves the observability dashboard stream at /stream (initial then event)', async () => {
    ts = await startTestServer();
    ts.bus.publish(hookEvent(1));
    const c = await client(`ws://127.0.0.1:${ts.server.port}/stream`);
    const initial = await c.waitFor((m) => m.type === 'initial', 'initial');
    expect(initial.data.some((e: any) => e.payload?.i === 1)).toBe(true);
    ts.bus.publish(hookEvent(2));
    await c.waitFor((m) => m.type === 'event' && m.data.payload?.i === 2, 'event');
  });

  it('/stream sends every event in the dashboard\'s shape: source_app and hook_event_type from source and event_type when it has none', async () => {
    ts = await startTestServer({ history: 10 });
    ts.bus.publish({ source: 'corral', session_id: 'daemon', event_type: 'component.started', payload: { component: 'api' } });
    ts.bus.publish(hookEvent(1, { source_app: 'shop' }));
    const dash = await client(`ws://127.0.0.1:${ts.server.port}/stream`);
    const bus = await client(ts.wsUrl());
    const initial = await dash.waitFor((m) => m.type === 'initial', 'initial');
    expect(initial.data.map((e: any) => [e.event_type, e.source_app, e.hook_event_type])).toEqual([
      ['component.started', 'corral', 'component.started'],
      ['PreToolUse', 'shop', 'PreToolUse'],
    ]);
    // Live, one at a time and as a batch, and the ws.connected of the bus client above.
    await dash.waitFor((m) => m.type === 'event' && m.data.event_type === 'ws.connected' && m.data.source_app === 'corral' && m.data.hook_event_type === 'ws.connected', 'ws.connected in the dashboard shape');
    ts.bus.publish({ source: 'example', session_id: 's', event_type: 'example.tick', payload: { n: 1 } });
    const tick = await dash.waitFor((m) => m.type === 'event' && m.data.event_type === 'example.tick', 'example.tick');
    expect(tick.data).toMatchObject({ source: 'example', source_app: 'example', hook_event_type: 'example.tick', payload: { n: 1 } });
    // The bus's own path sends events as they are stored.
    const plain = await bus.waitFor((m) => m.type === 'event' && m.data.event_type === 'example.tick', 'example.tick on /events');
    expect(plain.data).not.toHaveProperty('source_app');
    expect(plain.data).not.toHaveProperty('hook_event_type');
    expect((await bus.waitFor((m) => m.type === 'initial', 'initial on /events')).data.find((e: any) => e.event_type === 'component.started')).not.toHaveProperty('source_app');
  });
});
