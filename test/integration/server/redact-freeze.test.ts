import { afterEach, describe, expect, it } from 'vitest';
import { http, startTestServer, type TestServer } from './helpers.js';

let ts: TestServer | null = null;

afterEach(async () => {
  await ts?.close();
  ts = null;
});

/** Resolves with how long the request took, in ms, and its status. */
async function timed(p: Promise<{ status: number }>): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const res = await p;
  return { ms: performance.now() - t0, status: res.status };
}

describe('redaction cannot freeze the daemon', () => {
  // A 1 MB string of BEGIN lines with no END: the lazy pattern this replaced
  // searched for an END from every BEGIN (quadratic: 7 to 25 s of a blocked
  // event loop). The bound below is generous for a loaded machine and far
  // under what the quadratic scan took; /health is asked while the body is handled.
  it('a 1 MB run of private-key headers is stored, capped and masked while /health still answers', async () => {
    ts = await startTestServer({ maxPayload: 2 * 1024 * 1024 });
    const blob = '-----BEGIN PRIVATE KEY-----'.repeat(Math.ceil(1_000_000 / 27));
    const post = timed(http(ts.server.url, 'POST', '/events', { source: 'hostile', session_id: 's', event_type: 'big', payload: { blob } }));
    const health = timed(http(ts.server.url, 'GET', '/health'));
    const [p, h] = await Promise.all([post, health]);
    expect(p.status).toBe(202);
    expect(h.status).toBe(200);
    expect(p.ms, 'POST /events of the 1 MB body').toBeLessThan(4000);
    expect(h.ms, 'GET /health during it').toBeLessThan(4000);
    const stored = ts.bus.history({ event_type: 'big' }).events[0]!.event.payload.blob as string;
    // Cut to the 64 KiB field cap first, then masked: the cut-off key is masked to the cut.
    expect(stored).toMatch(/^\[REDACTED\]…\[truncated \d+ bytes\]$/);
  });

  it('a key cut in half by the field cap is still masked; a whole key is masked as before', async () => {
    ts = await startTestServer({ maxPayload: 2 * 1024 * 1024 });
    const key = `-----BEGIN RSA PRIVATE KEY-----\n${'A'.repeat(3000)}\n-----END RSA PRIVATE KEY-----`;
    const cutKey = `${'x'.repeat(64 * 1024 - 100)}${key}`;
    const res = await http(ts.server.url, 'POST', '/events', { source: 'app', session_id: 's', event_type: 'keys', payload: { whole: `before ${key} after`, cut: cutKey } });
    expect(res.status).toBe(202);
    const p = ts.bus.history({ event_type: 'keys' }).events[0]!.event.payload;
    expect(p.whole).toBe('before [REDACTED] after');
    expect(p.cut).not.toContain('AAAA');
    expect(p.cut).toMatch(/x\[REDACTED\]…\[truncated \d+ bytes\]$/);
  });
});
