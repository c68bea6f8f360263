import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { http, startTestServer, type TestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let ts: TestServer | null = null;
const open: ClientRequest[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) r.destroy();
  await ts?.close();
  ts = null;
});

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: any;
}

/** Starts a POST whose body the test writes itself; `answer` settles with the response, whenever it comes. */
function startPost(port: number, path: string, headers: Record<string, string | number>): { req: ClientRequest; answer: Promise<Answer> } {
  let req!: ClientRequest;
  const answer = new Promise<Answer>((resolve, reject) => {
    req = request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    // A connection cut before any answer (the test's cleanup among them) is status 0.
    req.on('error', () => resolve({ status: 0, headers: {}, body: null }));
    void reject;
  });
  // The headers go now, not with the first write: the server sees the declared length before any body.
  req.flushHeaders();
  open.push(req);
  return { req, answer };
}

/** A hook body of exactly `bytes` bytes of JSON. */
function hookBody(bytes: number): string {
  const head = '{"session_id":"s1","hook_event_name":"PostToolUse","tool_name":"Read","tool_response":"';
  return `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
}

describe('request bodies are bounded one by one and all together', () => {
  it('a hook declaring more than 16 MiB is recorded without its body at once, before any of it is sent', async () => {
    ts = await startTestServer();
    const declared = 30 * 1024 * 1024;
    const { answer } = startPost(ts.server.port, '/hooks/PostToolUse', { 'content-length': declared });
    const res = await answer;
    expect(res.status).toBe(202);
    const stored = ts.bus.history({ event_type: 'PostToolUse' }).events[0]!.event.payload;
    expect(stored._corral_truncated).toMatchObject({ original_bytes: declared, kept_bytes: 0 });
    expect(stored._corral_truncated.reason).toBe(`body of ${declared} bytes is over the ${16 * 1024 * 1024}-byte limit of a hook body`);
  });

  it('POST /events declaring more than its limit is 413 naming the limits, before any of it is sent', async () => {
    ts = await startTestServer();
    const { answer } = startPost(ts.server.port, '/events', { 'content-length': 20 * 1024 * 1024 });
    const res = await answer;
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('WS006');
    expect(res.body.error).toMatch(/over the 1048576-byte limit \(bus\.max_payload; an observability hook body may be 16777216 bytes/);
  });

  it('bodies held at once count against one budget: the next is 503 with Retry-After until one is answered', async () => {
    ts = await startTestServer({ bodyBudget: 4 * 1024 * 1024 });
    const port = ts.server.port;
    const size = 3 * 1024 * 1024;
    const body = hookBody(size);
    // A holds 3 MiB of the 4 (declared, so counted whole from the start) and is not finished.
    const a = startPost(port, '/hooks/PostToolUse', { 'content-length': size });
    a.req.write(body.slice(0, 1024));
    // The server holds A's declared bytes once it has its headers: /health says so.
    await waitFor('A held', async () => (await http(ts!.server.url, 'GET', '/health')).body.request_body_bytes === size);
    // B would take it over: refused without being read.
    const b = await startPost(port, '/hooks/PostToolUse', { 'content-length': size }).answer;
    expect(b.status).toBe(503);
    expect(b.headers['retry-after']).toBe('1');
    expect(b.body.error).toMatch(/holds 4194304 bytes of request bodies at most/);
    a.req.end(body.slice(1024));
    expect((await a.answer).status).toBe(202);
    await waitFor('A given back', async () => (await http(ts!.server.url, 'GET', '/health')).body.request_body_bytes === 0);
    // A answered: its bytes are given back, and the next one fits.
    const c = startPost(port, '/hooks/PostToolUse', { 'content-length': size });
    c.req.end(body);
    expect((await c.answer).status).toBe(202);
  });

  it('a chunked body is counted as it arrives and refused once the budget is full', async () => {
    ts = await startTestServer({ bodyBudget: 1024 * 1024 });
    const { req, answer } = startPost(ts.server.port, '/hooks/PostToolUse', { 'transfer-encoding': 'chunked' });
    const chunk = 'y'.repeat(64 * 1024);
    req.write('{"session_id":"s1","tool_response":"');
    let settled = false;
    void answer.finally(() => (settled = true));
    // Writes until the server answers (it stops holding the body past 1 MiB); never more than 4 MiB.
    for (let sent = 0; !settled && sent < 4 * 1024 * 1024; sent += chunk.length) {
      if (!req.write(chunk)) await Promise.race([new Promise((r) => req.once('drain', r)), answer]);
    }
    const res = await answer;
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(ts.bus.history({ event_type: 'PostToolUse' }).events).toHaveLength(0);
  });
});
