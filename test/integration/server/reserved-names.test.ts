import { describe, expect, it } from 'vitest';
import { connectReady, http, startTestServer, type TestServer, useTestServer } from './helpers.js';

let ts: TestServer | null = null;

useTestServer();

const base = { session_id: 's', payload: {} };

describe('corral\'s own names, whatever their case or spaces', () => {
  it('POST /events refuses a reserved source or event type in any case, trimmed', async () => {
    ts = await startTestServer();
    const forged = [
      { ...base, source: 'Corral', event_type: 'x' },
      { ...base, source: 'corral ', event_type: 'x' },
      { ...base, source: 'CORRAL', event_type: 'x' },
      { ...base, source: 'app', event_type: 'Component.started' },
      { ...base, source: 'app', event_type: ' config.changed' },
      { ...base, source: 'app', event_type: 'WS.connected' },
    ];
    for (const e of forged) {
      const res = await http(ts.server.url, 'POST', '/events', e);
      expect(res.status, JSON.stringify(e)).toBe(400);
      expect(res.body.code).toBe('WS003');
      expect(res.body.error).toMatch(/reserved/);
    }
    expect(ts.bus.history({}).events).toHaveLength(0);
    // Names that only contain it are ordinary.
    expect((await http(ts.server.url, 'POST', '/events', { ...base, source: 'corral-web', event_type: 'components.listed' })).status).toBe(202);
  });

  it('a hook named like a reserved type in another case is refused', async () => {
    ts = await startTestServer();
    const res = await http(ts.server.url, 'POST', '/hooks/Component.stopped', { session_id: 's' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/reserved/);
  });

  it('registering on the bus as CORRAL or " corral" is refused', async () => {
    ts = await startTestServer();
    const c = await connectReady(ts.wsUrl());
    for (const component of ['CORRAL', ' corral', 'Corral ']) {
      c.messages.length = 0;
      c.send({ type: 'register', data: { component } });
      const err = await c.waitFor((m) => m.type === 'error', `refusal of ${JSON.stringify(component)}`);
      expect(err.data.error_code).toBe('WS003');
      expect(err.data.error_message).toMatch(/data\.component.*reserved/);
    }
    expect(ts.server.clientCount()).toBe(1);
    expect(ts.bus.history({ event_type: 'component.started' }).events).toHaveLength(0);
  });
});

describe('timestamps', () => {
  it('a timestamp outside 2000–2100 (1e300, 5) is refused with the range; a real one is kept', async () => {
    ts = await startTestServer();
    for (const timestamp of [1e300, 5, Date.UTC(2200, 0, 1)]) {
      const res = await http(ts.server.url, 'POST', '/events', { ...base, source: 'app', event_type: 'x', timestamp });
      expect(res.status, String(timestamp)).toBe(400);
      expect(res.body.code).toBe('WS003');
      expect(res.body.error).toMatch(/timestamp: must be Unix time in milliseconds from 2000-01-01 to 2100-01-01/);
    }
    const ok = await http(ts.server.url, 'POST', '/events', { ...base, source: 'app', event_type: 'x', timestamp: 1_700_000_000_000 });
    expect(ok.status).toBe(202);
    expect(ts.bus.history({}).events.map((e) => e.event.timestamp)).toEqual([1_700_000_000_000]);
  });

  it('over the WebSocket too: WS003 naming the range', async () => {
    ts = await startTestServer();
    const c = await connectReady(ts.wsUrl());
    c.send({ type: 'event', data: { ...base, source: 'app', event_type: 'x', timestamp: 1e300 } });
    const err = await c.waitFor((m) => m.type === 'error', 'the refusal');
    expect(err.data.error_code).toBe('WS003');
    expect(err.data.error_message).toMatch(/2000-01-01 to 2100-01-01/);
    expect(ts.bus.history({ event_type: 'x' }).events).toHaveLength(0);
  });
});
