import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { UnknownComponentError, type Controller } from '../../../src/supervisor/types.js';
import { TOKEN, connect, connectReady, http, startTestServer, useTestServer, type TestClient, type TestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let ts: TestServer | null = null;
useTestServer();

const client = (url: string): Promise<TestClient> => connectReady(url);

/** A raw upgrade request: returns the status line and whether the socket stayed usable. */
function rawUpgrade(port: number, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, '127.0.0.1', () => {
      const lines = [
        'GET /events HTTP/1.1',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let text = '';
    sock.on('data', (c) => (text += c.toString()));
    sock.on('close', () => resolve(text));
    sock.on('error', reject);
  });
}

describe('bad input: each answered with its code, nothing else harmed', () => {
  it('unparseable JSON → WS002, the connection stays open and a later valid publish works', async () => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl('?source=later'));
    c.send('{"type": "event", "data": {oops');
    const err = await c.waitFor((m) => m.type === 'error', 'WS002');
    expect(err.data.error_code).toBe('WS002');
    expect(err.data.error_message).toMatch(/JSON/);
    c.send({ type: 'event', data: { source: 'later', session_id: 's', event_type: 'x.ok' } });
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.ok', 'the later event');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it.each([
    ['negative timestamp', { timestamp: -5 }, 'timestamp'],
    ['version "2.0"', { version: '2.0' }, 'version'],
    ['no source', { source: undefined }, 'source'],
  ])('valid JSON failing the schema (%s) → WS003 naming the field', async (_name, change, field) => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl());
    const event: Record<string, unknown> = { source: 'x', session_id: 's', event_type: 'x.bad', ...change };
    c.send({ type: 'event', data: JSON.parse(JSON.stringify(event)) });
    const err = await c.waitFor((m) => m.type === 'error', 'WS003');
    expect(err.data.error_code).toBe('WS003');
    expect(err.data.error_message).toContain(field);
    expect(err.data.context.issues.map((i: any) => i.path)).toContain(field);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    // And it was not published.
    expect(ts.bus.history({ event_type: 'x.bad' }).events).toHaveLength(0);
  });

  it('a bad register or subscribe message → WS003 naming data.FIELD', async () => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl());
    c.send({ type: 'register', data: { component: '' } });
    const e1 = await c.waitFor((m) => m.type === 'error', 'register error');
    expect(e1.data.error_message).toContain('data.component');
    c.send({ type: 'subscribe', data: { since: 'yesterday' } });
    await waitFor('subscribe error', () => c.messages.filter((m) => m.type === 'error').length === 2);
    expect(c.messages.filter((m) => m.type === 'error')[1]!.data.error_message).toContain('data.since');
    c.send({ type: 'bogus' });
    await waitFor('type error', () => c.messages.filter((m) => m.type === 'error').length === 3);
  });

  it('an unknown key in subscribe or register → WS003 naming it with the likely key; the previous subscription stays', async () => {
    ts = await startTestServer();
    ts.bus.publish({ source: 'x', session_id: 's', event_type: 'other.old' });
    const c = await client(ts.wsUrl('?event_type=demo.*'));
    const errors = () => c.messages.filter((m) => m.type === 'error');
    c.send({ type: 'subscribe', data: { evnt_type: 'demo.*' } });
    await waitFor('subscribe error', () => errors().length === 1);
    expect(errors()[0]!.data).toMatchObject({ error_code: 'WS003' });
    expect(errors()[0]!.data.error_message).toContain('data.evnt_type: unknown key "evnt_type" (did you mean "event_type"?)');
    expect(errors()[0]!.data.context.issues.map((i: any) => i.path)).toEqual(['data.evnt_type']);
    c.send({ type: 'register', data: { component: 'tool', capabilites: ['x'] } });
    await waitFor('register error', () => errors().length === 2);
    expect(errors()[1]!.data.error_message).toContain('data.capabilites: unknown key "capabilites" (did you mean "capabilities"?)');
    // Still the first filter: no second initial (no replay of everything), only demo.* live.
    ts.bus.publish({ source: 'x', session_id: 's', event_type: 'other.new' });
    ts.bus.publish({ source: 'x', session_id: 's', event_type: 'demo.a' });
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 'demo.a', 'demo.a');
    expect(c.messages.filter((m) => m.type === 'initial')).toHaveLength(1);
    expect(c.events().map((e) => e.event_type)).toEqual(['demo.a']);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('subscribe takes since as the HTTP API does (Unix ms, ISO date, 5m), and a bad one gets the same message', async () => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl('?event_type=none'));
    c.send({ type: 'subscribe', data: { since: 'garbage' } });
    const err = await c.waitFor((m) => m.type === 'error', 'since error');
    const httpAnswer = await http(ts.server.url, 'GET', '/events?since=garbage');
    expect(httpAnswer.status).toBe(400);
    const httpMessage = String(httpAnswer.body.error).replace(/^bad filter: /, '');
    expect(httpMessage).toMatch(/^since: expected Unix ms.*got "garbage"$/);
    expect(err.data.error_message).toContain(`data.${httpMessage}`);
    expect(err.data.error_message).not.toContain('NaN');
    const r = ts.bus.publish({ source: 'x', session_id: 's', event_type: 'demo.recent' });
    if (!r.ok) throw new Error(r.error.error_message);
    const at = r.entry.event.timestamp;
    const initials = () => c.messages.filter((m) => m.type === 'initial');
    for (const since of ['5m', new Date(at - 1000).toISOString(), at - 1000, String(at - 1000)]) {
      const before = initials().length;
      c.send({ type: 'subscribe', data: { event_type: 'demo.*', since } });
      await waitFor(`initial for since ${JSON.stringify(since)}`, () => initials().length === before + 1);
      expect(initials().at(-1)!.data.map((e: any) => e.event_type), `since ${JSON.stringify(since)}`).toEqual(['demo.recent']);
    }
    c.send({ type: 'subscribe', data: { event_type: 'demo.*', since: at + 60_000 } });
    await waitFor('initial for a later since', () => initials().length === 6);
    expect(initials().at(-1)!.data).toEqual([]);
    expect(c.messages.filter((m) => m.type === 'error')).toHaveLength(1);
  });

  it('an event nested thousands of levels deep → WS003 (and 400 over HTTP); the daemon keeps serving', async () => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl('?source=later'));
    // Built as text: building it as an object and stringifying it would overflow the test's own stack.
    const depth = 5000;
    const deep = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    c.send(`{"type":"event","data":{"source":"x","session_id":"s","event_type":"x.deep","payload":${deep}}}`);
    const err = await c.waitFor((m) => m.type === 'error', 'WS003');
    expect(err.data.error_code).toBe('WS003');
    expect(err.data.error_message).toMatch(/nested more than \d+ levels deep/);
    expect(err.data.error_message).toContain('payload.a.a');
    const res = await http(ts.server.url, 'POST', '/events', `{"source":"x","session_id":"s","event_type":"x.deep","payload":${deep}}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('WS003');
    // A hook as deep is still recorded, without its body.
    const hook = await http(ts.server.url, 'POST', '/hooks/PreToolUse', deep);
    expect(hook.status).toBe(202);
    expect(ts.bus.history({ event_type: 'PreToolUse' }).events[0]!.event.payload._corral_truncated.reason).toMatch(/nests more than/);
    // Still serving, and the same client can publish.
    c.send({ type: 'event', data: { source: 'later', session_id: 's', event_type: 'x.ok' } });
    await c.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.ok', 'the later event');
    expect(ts.bus.history({ event_type: 'x.deep' }).events).toHaveLength(0);
  });

  it.each([
    ['source "corral"', { source: 'corral', event_type: 'x.forged' }, 'source', /reserved/],
    ['a component.* event', { event_type: 'component.stopped', payload: { component: 'db', reason: 'crashed' } }, 'event_type', /reserved/],
    ['an error.* event without ErrorData', { event_type: 'error.CMP002', payload: {} }, 'payload.error_code', /ErrorData/],
    ['an error.* event whose code does not match', { event_type: 'error.CMP002', payload: { error_code: 'WS001', error_message: 'm', component: 'c', severity: 'error' } }, 'payload.error_code', /must be "CMP002"/],
    ['a resource.alert without ResourcePayload', { event_type: 'resource.alert', payload: { component: 'c' } }, 'payload.metrics', /ResourcePayload/],
  ])('a client may not forge corral events: %s → WS003 (and 400 over HTTP)', async (_name, change, path, why) => {
    ts = await startTestServer();
    const c = await client(ts.wsUrl());
    const event = { source: 'x', session_id: 's', ...change };
    c.send({ type: 'event', data: event });
    const err = await c.waitFor((m) => m.type === 'error', 'WS003');
    expect(err.data.error_code).toBe('WS003');
    expect(err.data.context.issues.map((i: any) => i.path)).toContain(path);
    expect(err.data.error_message).toMatch(why);
    const res = await http(ts.server.url, 'POST', '/events', event, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: any) => i.path)).toContain(path);
    expect(ts.bus.history({ event_type: event.event_type }).events).toHaveLength(0);
    // A well-formed error event from a component is fine.
    c.send({ type: 'event', data: { source: 'x', session_id: 's', event_type: 'error.CMP001', payload: { error_code: 'CMP001', error_message: 'probe timed out', component: 'x', severity: 'error' } } });
    await waitFor('the valid error event', () => ts!.bus.history({ event_type: 'error.CMP001' }).events.length === 1);
  });

  it('a hook cannot pass as corral either: /hooks/component.stopped and /hooks/error.CMP002 are refused, not stored', async () => {
    ts = await startTestServer();
    for (const [name, body] of [
      ['component.stopped', { session_id: 'spoof', component: 'slow', reason: 'crashed' }],
      ['error.CMP002', { session_id: 'spoof', error_code: 'CMP002', component: 'slow', error_message: 'fake' }],
    ] as const) {
      const res = await http(ts.server.url, 'POST', `/hooks/${name}`, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(new RegExp(`^hook event name "${name.replace('.', '\\.')}" refused: .*; nothing was stored$`));
      expect(ts.bus.history({ event_type: name }).events).toHaveLength(0);
    }
  });

  it('registering as "corral" is refused (WS003 naming data.component): the connection stays open, no component.* event for it', async () => {
    ts = await startTestServer({ heartbeat: () => ({ slow: 'healthy' }) });
    const watcher = await client(ts.wsUrl('?event_type=component.*,ws.*'));
    const impostor = await client(ts.wsUrl('?event_type=none'));
    impostor.send({ type: 'register', data: { component: 'corral' } });
    const err = await impostor.waitFor((m) => m.type === 'error', 'WS003');
    expect(err.data.error_code).toBe('WS003');
    expect(err.data.error_message).toMatch(/data\.component: "corral" is reserved/);
    expect(err.data.context.issues.map((i: any) => i.path)).toEqual(['data.component']);
    // Still open and usable.
    impostor.send({ type: 'event', data: { source: 'x', session_id: 's', event_type: 'x.after' } });
    await waitFor('the later event', () => ts!.bus.history({ event_type: 'x.after' }).events.length === 1);
    expect(impostor.ws.readyState).toBe(WebSocket.OPEN);
    // A configured component's own name is still how its process registers: no error for it.
    const own = await client(ts.wsUrl('?event_type=none'));
    own.send({ type: 'register', data: { component: 'slow' } });
    impostor.ws.close(1000);
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'ws.disconnected', 'the impostor gone');
    own.ws.close(1000);
    await waitFor('the component gone', () => watcher.events().filter((e) => e.event_type === 'ws.disconnected').length === 2);
    expect(own.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(watcher.events().filter((e) => e.event_type === 'ws.disconnected').map((e) => e.payload.component)).toEqual([null, 'slow']);
    await ts.store.flush();
    expect(ts.bus.history({ event_type: 'component.*' }).events).toEqual([]);
  });

  it('registering under the name of a supervised component publishes no component.started/stopped of its own', async () => {
    ts = await startTestServer({ heartbeat: () => ({ slow: 'healthy' }) });
    const watcher = await client(ts.wsUrl('?event_type=component.*,ws.*'));
    const impostor = await client(ts.wsUrl('?event_type=none'));
    impostor.send({ type: 'register', data: { component: 'slow' } });
    const other = await client(ts.wsUrl('?event_type=none'));
    other.send({ type: 'register', data: { component: 'tool' } });
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.started' && m.data.payload.component === 'tool', 'tool registered');
    impostor.close();
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'ws.disconnected' && m.data.payload.component === 'slow', 'the impostor gone');
    expect(watcher.events().filter((e) => e.event_type.startsWith('component.') && e.payload.component === 'slow')).toEqual([]);
  });

  it('a hook body over the bus message size is cut to fit and stored, not dropped', async () => {
    ts = await startTestServer({ maxPayload: 64 * 1024 });
    const body = { session_id: 'big', hook_event_name: 'PostToolUse', tool_name: 'Read', tool_response: { content: 'x'.repeat(300 * 1024) }, many: Array.from({ length: 2000 }, (_, i) => `line ${i} `.repeat(10)) };
    const res = await http(ts.server.url, 'POST', '/hooks/PostToolUse', body);
    expect(res.status).toBe(202);
    const stored = ts.bus.history({ event_type: 'PostToolUse' }).events;
    expect(stored).toHaveLength(1);
    const p = stored[0]!.event.payload;
    expect(p).toMatchObject({ session_id: 'big', tool_name: 'Read' });
    expect(p._corral_truncated.original_bytes).toBeGreaterThan(300 * 1024);
    expect(Buffer.byteLength(stored[0]!.json)).toBeLessThanOrEqual(64 * 1024);
    expect(String(p.tool_response.content)).toMatch(/truncated \d+ bytes/);
  });

  it('a 2 MiB hook field is cut once, its marker giving the size dropped from the original', async () => {
    ts = await startTestServer();
    const size = 2 * 1024 * 1024;
    const body = { session_id: 'huge', hook_event_name: 'PostToolUse', tool_name: 'Read', tool_response: { content: 'y'.repeat(size) } };
    const res = await http(ts.server.url, 'POST', '/hooks/PostToolUse', body);
    expect(res.status).toBe(202);
    const [stored] = ts.bus.history({ event_type: 'PostToolUse' }).events;
    const p = stored!.event.payload;
    expect(p._corral_truncated).toMatchObject({ original_bytes: Buffer.byteLength(JSON.stringify(body)), strings_cut_to: 64 * 1024 });
    expect(p.tool_response.content).toBe(`${'y'.repeat(64 * 1024)}…[truncated ${size - 64 * 1024} bytes]`);
  });

  it('a frame over maxPayload → close 1009, other clients unaffected', async () => {
    ts = await startTestServer({ maxPayload: 64 * 1024 });
    const big = await client(ts.wsUrl());
    const other = await client(ts.wsUrl('?source=fine'));
    big.send({ type: 'event', data: { source: 'x', session_id: 's', event_type: 'x.big', payload: { blob: 'x'.repeat(100 * 1024) } } });
    const closed = await big.closed;
    expect(closed.code).toBe(1009);
    // The close frame and the ws.disconnected event say why.
    expect(closed.reason).toBe('message over 65536 bytes (bus.max_payload)');
    const gone = await waitFor('ws.disconnected with code 1009', () => ts!.bus.history({ event_type: 'ws.disconnected' }).events.find((e) => e.event.payload.code === 1009));
    expect(gone.event.payload.reason).toBe('message over 65536 bytes (bus.max_payload)');
    ts.bus.publish({ source: 'fine', session_id: 's', event_type: 'x.after' });
    await other.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.after', 'event on the other client');
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('a burst far over the rate limit → WS004 then close (1008), other clients unaffected', async () => {
    ts = await startTestServer({ rateLimit: { rate: 50, burst: 100 } });
    const flood = await client(ts.wsUrl('?event_type=none'));
    const other = await client(ts.wsUrl('?source=calm'));
    for (let i = 0; i < 2000; i++) flood.send({ type: 'event', data: { source: 'flood', session_id: 's', event_type: 'x.flood' } });
    const closed = await flood.closed;
    expect(closed.code).toBe(1008);
    const err = flood.messages.find((m) => m.type === 'error');
    expect(err?.data.error_code).toBe('WS004');
    ts.bus.publish({ source: 'calm', session_id: 's', event_type: 'x.calm' });
    await other.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.calm', 'event on the other client');
    // The other client can still publish within its own budget.
    other.send({ type: 'event', data: { source: 'calm', session_id: 's', event_type: 'x.calm2' } });
    await other.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.calm2', 'own publish');
  });

  it.each([
    ['Origin https://evil.example', { Host: 'HOST', Origin: 'https://evil.example' }],
    ['Host evil.example', { Host: 'evil.example' }],
    ['Host evil.example with our port', { Host: 'evil.example:PORT' }],
  ])('upgrade with %s → 403 before any socket exists', async (_name, headers) => {
    ts = await startTestServer();
    const port = ts.server.port;
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace('HOST', `127.0.0.1:${port}`).replace('PORT', String(port))]));
    const answer = await rawUpgrade(port, h);
    expect(answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(answer).not.toMatch(/101 Switching/);
    expect(ts.server.clientCount()).toBe(0);
  });

  it('more clients than bus.max_clients → 503 at the upgrade; the connected ones are unaffected', async () => {
    ts = await startTestServer({ maxClients: 3 });
    const first = [await client(ts.wsUrl()), await client(ts.wsUrl()), await client(ts.wsUrl('?source=calm'))];
    const port = ts.server.port;
    const answer = await rawUpgrade(port, { Host: `127.0.0.1:${port}` });
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toContain('bus.max_clients');
    ts.bus.publish({ source: 'calm', session_id: 's', event_type: 'x.calm' });
    await first[2]!.waitFor((m) => m.type === 'event' && m.data.event_type === 'x.calm', 'event on a connected client');
    // A place freed is a place taken.
    first[0]!.close();
    await waitFor('the closed client gone', () => ts!.server.clientCount() === 2);
    await client(ts.wsUrl());
  });

  it('upgrade with the daemon own origin or an allowed one is accepted', async () => {
    ts = await startTestServer({ allowedOrigins: ['http://localhost:5173'] });
    const port = ts.server.port;
    for (const origin of [`http://localhost:${port}`, 'http://localhost:5173']) {
      const c = await connect(ts.wsUrl(), { origin });
      await c.waitFor((m) => m.type === 'initial', `initial for ${origin}`);
    }
  });

  it('auth: required → 401 at the upgrade without the token; the token in ?token= or Bearer works', async () => {
    ts = await startTestServer({ auth: 'required' });
    const answer = await rawUpgrade(ts.server.port, { Host: `127.0.0.1:${ts.server.port}` });
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    await connect(ts.wsUrl(`?token=${TOKEN}`));
    const b = await connect(ts.wsUrl(), { headers: { authorization: `Bearer ${TOKEN}` } });
    await b.waitFor((m) => m.type === 'initial', 'initial');
    const post = await http(ts.server.url, 'POST', '/events', { source: 'x', session_id: 's', event_type: 'x.y' });
    expect(post.status).toBe(401);
  });

  it('a control route without the token → 401, from loopback too; with it and no supervisor → 503', async () => {
    ts = await startTestServer();
    for (const [method, path] of [
      ['GET', '/api/components'],
      ['POST', '/api/components/router/restart'],
      ['POST', '/api/reload'],
      ['POST', '/api/shutdown'],
    ] as const) {
      const res = await http(ts.server.url, method, path);
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body.error).toMatch(/token/);
      const wrong = await http(ts.server.url, method, path, undefined, { authorization: 'Bearer nope' });
      expect(wrong.status).toBe(401);
      const ok = await http(ts.server.url, method, path, undefined, { authorization: `Bearer ${TOKEN}` });
      expect(ok.status).toBe(503);
    }
  });

  it('control routes drive the controller; an unknown component → 404', async () => {
    const calls: string[] = [];
    const controller: Controller = {
      list: () => [],
      statuses: () => ({}),
      start: async (n) => void calls.push(`start ${n}`),
      stop: async (n) => void calls.push(`stop ${n}`),
      restart: async (n) => {
        if (n !== 'router') throw new UnknownComponentError(n);
        calls.push(`restart ${n}`);
      },
      reload: async () => ({ ok: false, message: 'components.x.command: required' }),
      shutdown: async () => void calls.push('shutdown'),
    };
    ts = await startTestServer({ controller });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await http(ts.server.url, 'GET', '/api/components', undefined, auth)).body).toEqual({ components: [] });
    expect((await http(ts.server.url, 'POST', '/api/components/router/restart', undefined, auth)).status).toBe(200);
    const missing = await http(ts.server.url, 'POST', '/api/components/nope/restart', undefined, auth);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain('nope');
    const reload = await http(ts.server.url, 'POST', `/api/reload?token=${TOKEN}`);
    expect(reload.status).toBe(400);
    expect(reload.body.message).toContain('components.x.command');
    expect((await http(ts.server.url, 'POST', '/api/shutdown', undefined, auth)).status).toBe(202);
    expect(calls).toEqual(['restart router', 'shutdown']);
  });
});
