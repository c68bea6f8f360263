import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TOKEN, connect, hookEvent, http, startTestServer, useTestServer, type TestServer } from './helpers.js';

let ts: TestServer | null = null;
useTestServer();

/** A request with headers fetch will not let us set (Host) and the raw, undecoded body. */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP API', () => {
  it('POST /events takes one event or an array, answers 202 with ids once stored', async () => {
    ts = await startTestServer();
    const one = await http(ts.server.url, 'POST', '/events', hookEvent(1));
    expect(one.status).toBe(202);
    expect(one.body.ids).toHaveLength(1);
    const many = await http(ts.server.url, 'POST', '/events', [hookEvent(2), hookEvent(3)]);
    expect(many.status).toBe(202);
    expect(many.body.ids).toHaveLength(2);
    // Stored: a fresh query on the SQLite file sees them with nothing pending.
    expect(ts.store.pending()).toBe(0);
    const ids = ts.bus.history({}, { limit: 10 }).events.map((e) => e.event.id);
    expect(ids).toEqual(expect.arrayContaining([...one.body.ids, ...many.body.ids]));
  });

  it('POST /events refuses bad input with a clear message and publishes nothing of a bad array', async () => {
    ts = await startTestServer({ maxPayload: 4096 });
    const badJson = await http(ts.server.url, 'POST', '/events', '{"source": ');
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatch(/not valid JSON/);
    const bad = await http(ts.server.url, 'POST', '/events', [hookEvent(1), { ...hookEvent(2), timestamp: -1 }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('[1].timestamp');
    expect(ts.bus.history({}).events).toHaveLength(0);
    const big = await http(ts.server.url, 'POST', '/events', { ...hookEvent(3), payload: { blob: 'x'.repeat(10_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/4096/);
  });

  it('POST /events rate-limits per client address with 429', async () => {
    ts = await startTestServer({ rateLimit: { rate: 1, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await http(ts.server.url, 'POST', '/events', hookEvent(i))).status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses).toContain(429);
  });

  it('accepts the observability server hook-sender body unchanged and completes it', async () => {
    ts = await startTestServer();
    const body = {
      source_app: 'my-project',
      session_id: 'abc123',
      hook_event_type: 'PreToolUse',
      payload: { tool_name: 'Bash', tool_input: { command: 'ls' } },
      timestamp: 1_700_000_000_000,
      model_name: 'claude-sonnet',
      summary: 'lists files',
    };
    const res = await http(ts.server.url, 'POST', '/events', body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ...body, source: 'my-project', event_type: 'PreToolUse', version: '1.0' });
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    const recent = await http(ts.server.url, 'GET', '/events/recent?limit=5');
    expect(recent.body).toHaveLength(1);
    expect(recent.body[0].id).toBe(res.body.id);
    const options = await http(ts.server.url, 'GET', '/events/filter-options');
    expect(options.body).toEqual({ source_apps: ['my-project'], session_ids: ['abc123'], hook_event_types: ['PreToolUse'] });
  });

  it('GET /events/recent gives corral\'s own events source_app and hook_event_type; filter-options agree with and without a store', async () => {
    const publishAll = (bus: TestServer['bus']) => {
      bus.publish({ source: 'corral', session_id: 'daemon', event_type: 'component.started', payload: { component: 'api' } });
      bus.publish({ source: 'example', session_id: 's-tick', event_type: 'example.tick', payload: {} });
      bus.publish(hookEvent(1, { source_app: 'shop', session_id: 's-hook' }));
    };
    ts = await startTestServer();
    publishAll(ts.bus);
    const recent = await http(ts.server.url, 'GET', '/events/recent?limit=10');
    expect(recent.body.map((e: any) => [e.source, e.source_app, e.event_type, e.hook_event_type])).toEqual([
      ['corral', 'corral', 'component.started', 'component.started'],
      ['example', 'example', 'example.tick', 'example.tick'],
      ['test', 'shop', 'PreToolUse', 'PreToolUse'],
    ]);
    // Stored as published: the shape is the dashboard's view only.
    expect((await http(ts.server.url, 'GET', '/events?limit=10')).body.events[0]).not.toHaveProperty('source_app');
    const expected = {
      source_apps: ['corral', 'example', 'shop'],
      session_ids: ['daemon', 's-hook', 's-tick'],
      hook_event_types: ['PreToolUse', 'component.started', 'example.tick'],
    };
    await ts.store.flush();
    expect((await http(ts.server.url, 'GET', '/events/filter-options')).body).toEqual(expected);
    // The same events on a server without a store: the same options.
    const bare = await startTestServer({ store: undefined });
    try {
      publishAll(bare.bus);
      await bare.store.flush();
      expect((await http(bare.server.url, 'GET', '/events/filter-options')).body).toEqual(expected);
    } finally {
      await bare.close();
    }
  });

  it('POST /hooks/EVENT wraps a Claude Code hook body, and answers 202 (stored) even for a body that is not JSON', async () => {
    ts = await startTestServer();
    const sub = await connect(ts.wsUrl('?event_type=UserPromptSubmit,Stop'));
    await sub.waitFor((m) => m.type === 'initial', 'initial');
    const hook = { session_id: 'sess-1', cwd: '/home/u/proj', hook_event_name: 'UserPromptSubmit', prompt: 'hi' };
    const res = await http(ts.server.url, 'POST', '/hooks/UserPromptSubmit', hook);
    expect(res.status).toBe(202);
    // Claude Code's hook output for "nothing to decide" (never plain text, which it would add to the model's context).
    expect(res.text).toBe('{}');
    const ev = await sub.waitFor((m) => m.type === 'event', 'hook event');
    expect(ev.data).toMatchObject({ event_type: 'UserPromptSubmit', hook_event_type: 'UserPromptSubmit', session_id: 'sess-1', source_app: 'proj', payload: hook });
    expect(res.headers.get('x-corral-event-id')).toBe(ev.data.id);
    const broken = await http(ts.server.url, 'POST', '/hooks/Stop', 'not json {');
    expect(broken.status).toBe(202);
    const kept = await sub.waitFor((m) => m.type === 'event' && m.data.event_type === 'Stop', 'kept broken hook');
    expect(kept.data.payload.raw).toBe('not json {');
  });

  it('POST /hooks/EVENT with an invalid or reserved name uses the body\'s hook_event_name, else answers 400 and stores nothing', async () => {
    ts = await startTestServer();
    const sub = await connect(ts.wsUrl('?event_type=Notification'));
    await sub.waitFor((m) => m.type === 'initial', 'initial');
    const named = { session_id: 'sess-n', hook_event_name: 'Notification', message: 'hi' };
    for (const [i, name] of ['bad%20name!', 'component.started'].entries()) {
      const res = await http(ts.server.url, 'POST', `/hooks/${name}`, { ...named, i });
      expect(res.status).toBe(202);
      const ev = await sub.waitFor((m) => m.type === 'event' && m.data.payload.i === i, `hook sent as ${name}`);
      expect(ev.data).toMatchObject({ event_type: 'Notification', hook_event_type: 'Notification', session_id: 'sess-n' });
      expect(res.headers.get('x-corral-event-id')).toBe(ev.data.id);
    }
    const before = ts.bus.lastSeq();
    const bad = await http(ts.server.url, 'POST', '/hooks/bad%20name!', { session_id: 's' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid hook event name "bad name!": a hook event name is 1 to 128 letters, digits and _.:-; nothing was stored');
    // A body whose own name is no better does not help.
    const worse = await http(ts.server.url, 'POST', '/hooks/bad%20name!', { session_id: 's', hook_event_name: 'ws.connected' });
    expect(worse.status).toBe(400);
    expect(worse.body.error).toMatch(/^invalid hook event name "bad name!"/);
    const reserved = await http(ts.server.url, 'POST', '/hooks/component.started', { session_id: 's' });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error).toMatch(/^hook event name "component\.started" refused: event_type: "component\.started" is reserved: corral publishes component\.\* events itself/);
    expect(ts.bus.lastSeq()).toBe(before);
    await ts.store.flush();
    expect(ts.bus.history({ event_type: 'component.*' }).events).toEqual([]);
  });

  it('POST /events in the hook sender\'s shape holds hook_event_type to the same rule: the payload\'s hook_event_name, else 400', async () => {
    ts = await startTestServer();
    const send = (hook_event_type: string, payload: Record<string, unknown>) =>
      http(ts!.server.url, 'POST', '/events', { source_app: 'proj', session_id: 's-c', hook_event_type, payload });
    const rescued = await send('bad name!', { hook_event_name: 'Stop' });
    expect(rescued.status).toBe(200);
    expect(rescued.body).toMatchObject({ event_type: 'Stop', hook_event_type: 'Stop', source: 'proj' });
    const reservedRescued = await send('component.started', { hook_event_name: 'Stop' });
    expect(reservedRescued.status).toBe(200);
    expect(reservedRescued.body).toMatchObject({ event_type: 'Stop', hook_event_type: 'Stop' });
    const before = ts.bus.lastSeq();
    const bad = await send('bad name!', {});
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('event fails the schema: hook_event_type: invalid hook event name "bad name!": a hook event name is 1 to 128 letters, digits and _.:-');
    const reserved = await send('component.started', {});
    expect(reserved.status).toBe(400);
    expect(reserved.body.error).toMatch(/hook_event_type: hook event name "component\.started" refused: event_type: "component\.started" is reserved/);
    expect(ts.bus.lastSeq()).toBe(before);
  });

  it('GET /events filters, pages with next_cursor (newest last) and gzips when asked', async () => {
    ts = await startTestServer();
    const events = Array.from({ length: 25 }, (_, i) => hookEvent(i, i % 2 ? { source: 'odd' } : {}));
    expect((await http(ts.server.url, 'POST', '/events', events)).status).toBe(202);
    const page1 = await http(ts.server.url, 'GET', '/events?source=odd&limit=5');
    expect(page1.status).toBe(200);
    expect(page1.body.events.map((e: any) => e.payload.i)).toEqual([15, 17, 19, 21, 23]);
    const page2 = await http(ts.server.url, 'GET', `/events?source=odd&limit=5&cursor=${page1.body.next_cursor}`);
    expect(page2.body.events.map((e: any) => e.payload.i)).toEqual([5, 7, 9, 11, 13]);
    const ages = await http(ts.server.url, 'GET', '/events?since=5m&limit=3&event_type=Pre*');
    expect(ages.status).toBe(200);
    expect(ages.body.events.length).toBeGreaterThan(0);
    const badSince = await http(ts.server.url, 'GET', '/events?since=yesterday');
    expect(badSince.status).toBe(400);
    expect(badSince.body.error).toMatch(/since: expected Unix ms, an ISO date .* an age such as 30s, 5m/);
    const asc = await http(ts.server.url, 'GET', '/events?since=0&limit=3&event_type=Pre*');
    expect(asc.body.events.map((e: any) => e.payload.i)).toEqual([0, 1, 2]);
    const bad = await http(ts.server.url, 'GET', '/events?limit=lots');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('limit');
    const gz = await rawRequest(ts.server.port, 'GET', '/events?limit=25', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(gz.body).toString()).events).toHaveLength(25);
  });

  it('GET /health is the heartbeat document, and says it is corral', async () => {
    ts = await startTestServer({ heartbeat: () => ({ router: 'degraded' }), version: '0.1.0' });
    const res = await http(ts.server.url, 'GET', '/health');
    expect(res.body).toMatchObject({ service: 'corral', status: 'ok', version: '0.1.0', components: { router: 'degraded' } });
  });

  it('refuses a foreign Host or Origin on plain HTTP too; CORS headers only for allowed origins, never *', async () => {
    ts = await startTestServer({ allowedOrigins: ['http://localhost:5173'] });
    const port = ts.server.port;
    const host = `127.0.0.1:${port}`;
    expect((await rawRequest(port, 'GET', '/events', { host: 'evil.example' })).status).toBe(403);
    const evil = await rawRequest(port, 'POST', '/events', { host, origin: 'https://evil.example', 'content-type': 'text/plain' }, JSON.stringify(hookEvent(1)));
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const ok = await rawRequest(port, 'OPTIONS', '/events', { host, origin: 'http://localhost:5173', 'access-control-request-method': 'POST' });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const plain = await rawRequest(port, 'GET', '/health', { host });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
    expect(ts.bus.history({}).events).toHaveLength(0);
  });

  it('a wrong method on a known path is 405 with Allow; an unknown path is still 404', async () => {
    ts = await startTestServer();
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const [method, path, allow] of [
      ['DELETE', '/events', 'GET, HEAD, POST'],
      ['PUT', '/events/', 'GET, HEAD, POST'],
      ['POST', '/events/recent', 'GET, HEAD'],
      ['DELETE', '/events/filter-options', 'GET, HEAD'],
      ['POST', '/health', 'GET, HEAD'],
      ['GET', '/hooks/PreToolUse', 'POST'],
      ['POST', '/api/components', 'GET, HEAD'],
      ['GET', '/api/reload', 'POST'],
      ['DELETE', '/api/shutdown', 'POST'],
      ['GET', '/api/components/router/restart', 'POST'],
    ] as const) {
      const res = await http(ts.server.url, method, path, undefined, auth);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(res.body.error).toContain(`${method} is not allowed`);
    }
    expect(ts.bus.history({}).events).toHaveLength(0);
    for (const path of ['/nowhere', '/events/nope', '/api/nope', '/api/components/router/explode']) {
      expect((await http(ts.server.url, 'GET', path, undefined, auth)).status, path).toBe(404);
    }
    // HEAD is answered as GET, without a body.
    const head = await fetch(new URL('/health', ts.server.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/json/);
    expect(await head.text()).toBe('');
    const headApi = await fetch(new URL('/api/components', ts.server.url), { method: 'HEAD', headers: auth });
    expect(headApi.status).toBe(503);
    expect((await http(ts.server.url, 'HEAD', '/hooks/PreToolUse')).status).toBe(405);
    // Control paths still ask for the token before saying anything about methods.
    expect((await http(ts.server.url, 'GET', '/api/reload')).status).toBe(401);
  });

  it('publishing from loopback needs no token; control does', async () => {
    ts = await startTestServer();
    expect((await http(ts.server.url, 'POST', '/events', hookEvent(1))).status).toBe(202);
    expect((await http(ts.server.url, 'GET', `/api/components?token=${TOKEN}`)).status).toBe(503);
  });
});
