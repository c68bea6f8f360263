import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describePortOwner } from '../../../src/server/port-owner.js';
import { ensureToken } from '../../../src/server/token.js';
import { connect, startTestServer, useTestServer, type TestServer } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let ts: TestServer | null = null;
const sockets: Socket[] = [];
const servers: Server[] = [];
const dirs: string[] = [];
useTestServer();
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function listen(handler: (body: (text: string) => void) => void): Promise<number> {
  const server = createHttpServer((_req, res) => handler((text) => res.end(text)));
  servers.push(server);
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
}

describe('server lifecycle', () => {
  it('ensureToken makes a random token once, mode 0600, and keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-token-'));
    dirs.push(dir);
    const a = ensureToken(join(dir, 'state'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'state', 'token')).mode & 0o777).toBe(0o600);
    expect(ensureToken(join(dir, 'state'))).toBe(a);
    expect(readFileSync(join(dir, 'state', 'token'), 'utf8').trim()).toBe(a);
    writeFileSync(join(dir, 'state', 'token'), '', { mode: 0o644 });
    const b = ensureToken(join(dir, 'state'));
    expect(b).not.toBe(a);
    expect(statSync(join(dir, 'state', 'token')).mode & 0o777).toBe(0o600);
  });

  it('a second server on a taken port rejects with EADDRINUSE, and describePortOwner says who holds it', async () => {
    ts = await startTestServer({ version: '9.9.9' });
    await expect(startTestServer({ port: ts.server.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(await describePortOwner('127.0.0.1', ts.server.port)).toMatch(/^another corral daemon \(pid \d+, version 9\.9\.9\)$/);
    const banner = await listen((end) => end('Multi-Agent Observability Server'));
    expect(await describePortOwner('127.0.0.1', banner)).toMatch(/observability server/);
    const other = await listen((end) => end('hello'));
    expect(await describePortOwner('127.0.0.1', other)).toMatch(/^another program/);
  });

  it('a peer that stops answering pings is terminated', async () => {
    ts = await startTestServer({ pingMs: 50 });
    const port = ts.server.port;
    const sock = netConnect(port, '127.0.0.1', () => {
      sock.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    });
    sockets.push(sock);
    sock.on('error', () => {});
    // Reads (so it is not a slow consumer) but never answers a ping.
    sock.on('data', () => {});
    await waitFor('the raw client to connect', () => ts!.server.clientCount() === 1);
    await waitFor('the silent peer to be terminated', () => ts!.server.clientCount() === 0);
  });

  it('closing tells clients why: 1001 "corral is shutting down" by default, else the code and reason given (cut to 123 bytes)', async () => {
    ts = await startTestServer();
    let client = await connect(ts.wsUrl());
    await ts.server.close();
    expect(await client.closed).toEqual({ code: 1001, reason: 'corral is shutting down' });
    await ts.close();

    ts = await startTestServer();
    client = await connect(ts.wsUrl());
    const other = await connect(ts.wsUrl());
    await ts.server.close({ code: 1012, reason: 'corral bus moving to 127.0.0.1:4100' });
    expect(await client.closed).toEqual({ code: 1012, reason: 'corral bus moving to 127.0.0.1:4100' });
    expect(await other.closed).toEqual({ code: 1012, reason: 'corral bus moving to 127.0.0.1:4100' });
    await ts.close();

    ts = await startTestServer();
    client = await connect(ts.wsUrl());
    await ts.server.close({ code: 1012, reason: `corral bus moving to ${'é'.repeat(100)}` });
    const { code, reason } = await client.closed;
    expect(code).toBe(1012);
    expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(123);
    expect(reason).toMatch(/^corral bus moving to é+$/);
  });
});
