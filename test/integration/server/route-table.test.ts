import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN, hookEvent, http, startTestServer, type TestServer } from './helpers.js';

let ts: TestServer | null = null;

afterEach(async () => {
  await ts?.close();
  ts = null;
});

/** Sends raw bytes, reads until the server closes the connection; the whole answer as text. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

function upgradeRequest(port: number, method: string, path: string): string {
  return [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n');
}

describe('one route table', () => {
  it('OPTIONS answers the methods of the path from the table; an unknown path is 404', async () => {
    ts = await startTestServer({ allowedOrigins: ['http://localhost:5173'] });
    const origin = { origin: 'http://localhost:5173' };
    const hook = await fetch(new URL('/hooks/PreToolUse', ts.server.url), { method: 'OPTIONS', headers: origin });
    expect(hook.status).toBe(204);
    expect(hook.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(hook.headers.get('allow')).toBe('POST, OPTIONS');
    const health = await fetch(new URL('/health', ts.server.url), { method: 'OPTIONS', headers: origin });
    expect(health.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    const events = await fetch(new URL('/events/', ts.server.url), { method: 'OPTIONS', headers: origin });
    expect(events.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
    const nowhere = await fetch(new URL('/nowhere', ts.server.url), { method: 'OPTIONS', headers: origin });
    expect(nowhere.status).toBe(404);
    expect(((await nowhere.json()) as { error: string }).error).toBe('no route OPTIONS /nowhere');
  });

  it('HEAD is answered as GET on every GET route, without a body', async () => {
    ts = await startTestServer();
    for (const path of ['/health', '/events', '/events/recent', '/events/filter-options']) {
      const res = await fetch(new URL(path, ts.server.url), { method: 'HEAD' });
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe('');
    }
  });

  it('an upgrade is refused from the same table: 404 off the WebSocket paths, 405 with Allow for another method; whole answers, then closed', async () => {
    ts = await startTestServer();
    const port = ts.server.port;
    const notWs = await rawExchange(port, upgradeRequest(port, 'GET', '/health'));
    expect(notWs).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(notWs).toMatch(/\r\n\r\nno WebSocket endpoint at \/health; the bus is at \/events\n$/);
    const post = await rawExchange(port, upgradeRequest(port, 'POST', '/events'));
    expect(post).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(post).toMatch(/\r\nAllow: GET\r\n/);
    expect(post).toMatch(/POST is not allowed on \/events; a WebSocket upgrade is a GET\n$/);
    // The body is as long as Content-Length says: nothing was cut off.
    for (const answer of [notWs, post]) {
      const [head, body] = answer.split('\r\n\r\n');
      expect(Buffer.byteLength(body!)).toBe(Number(/Content-Length: (\d+)/.exec(head!)![1]));
    }
    const badFilter = await rawExchange(port, upgradeRequest(port, 'GET', '/stream?limit=nope&after=x'));
    expect(badFilter).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\nbad filter in the query string: /);
  });

  it('a POSTed event is validated once: the route checks it, the bus does not check it again', async () => {
    ts = await startTestServer();
    const bus = ts.bus;
    let unchecked = 0;
    const publish = bus.publish.bind(bus);
    bus.publish = (input: unknown) => {
      unchecked++;
      return publish(input);
    };
    const res = await http(ts.server.url, 'POST', '/events', [hookEvent(1), hookEvent(2)], { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(202);
    expect(unchecked).toBe(0);
    expect(bus.history({}).events).toHaveLength(2);
  });
});
