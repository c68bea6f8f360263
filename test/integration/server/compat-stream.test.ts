import { describe, expect, it } from 'vitest';
import { connectReady, http, startTestServer, type TestServer, useTestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let ts: TestServer | null = null;

useTestServer();

describe('the observability dashboard\'s /stream and hook sender', () => {
  // Its client pushes `data` as one event: an array there blanked its list until a reload.
  it('a /stream client that falls behind still gets one event per message, never a batch', async () => {
    // Every event past the first waits in the slow-consumer queue: what the dashboard gets when it lags.
    ts = await startTestServer({ slowConsumer: { highWatermark: 1, hardLimit: 64 * 1024 * 1024 } });
    const stream = await connectReady(`ws://127.0.0.1:${ts.server.port}/stream?event_type=PostToolUse`);
    const bus = await connectReady(ts.wsUrl('?event_type=PostToolUse'));
    for (let i = 0; i < 200; i++) {
      const r = ts.bus.publish({ source_app: 'app', hook_event_type: 'PostToolUse', source: 'app', event_type: 'PostToolUse', session_id: 's', payload: { i, blob: 'z'.repeat(2000) } });
      expect(r.ok).toBe(true);
    }
    await waitFor('200 events on /stream', () => stream.events().length === 200);
    const messages = stream.messages.filter((m) => m.type === 'event');
    expect(messages).toHaveLength(200);
    for (const m of messages) expect(Array.isArray(m.data), 'an event message carries one event').toBe(false);
    expect(messages.map((m) => m.data.payload.i)).toEqual([...Array(200).keys()]);
    // The bus's own path still coalesces a lagging subscriber's backlog.
    await waitFor('200 events on the bus path', () => bus.events().length === 200);
    expect(bus.messages.some((m) => m.type === 'event' && Array.isArray(m.data))).toBe(true);
  });

  it('a Stop --add-chat body over the bus\'s message size is cut to fit and stored, not refused', async () => {
    ts = await startTestServer();
    const chat = Array.from({ length: 500 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `${i} ${'c'.repeat(5000)}` }));
    const body = { source_app: 'proj', session_id: 'sess-1', hook_event_type: 'Stop', payload: { stop_hook_active: false, transcript_path: '/t.jsonl' }, chat, timestamp: Date.now() };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(2 * 1024 * 1024);
    const res = await http(ts.server.url, 'POST', '/events', body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source_app: 'proj', session_id: 'sess-1', hook_event_type: 'Stop' });
    const stored = ts.bus.history({ event_type: 'Stop' }).events[0]!;
    expect(stored.json.length).toBeLessThanOrEqual(1024 * 1024);
    expect(stored.event.payload.transcript_path).toBe('/t.jsonl');
    expect(stored.event.payload._corral_truncated).toMatchObject({ original_bytes: Buffer.byteLength(JSON.stringify(body)) });
    expect(Array.isArray(stored.event.chat)).toBe(true);
  });
});
