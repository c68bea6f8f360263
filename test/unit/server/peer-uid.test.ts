import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { peerIsSameUser, peerUid } from '../../../src/server/peer-uid.js';

// Real loopback connections: the server tells which user's process is at the other end.

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/** Listens on `host`, returns the port and the next accepted socket. */
async function listen(host: string): Promise<{ port: number; accepted: Promise<Socket> }> {
  let resolve!: (s: Socket) => void;
  const accepted = new Promise<Socket>((r) => (resolve = r));
  server = createServer((s) => resolve(s));
  await new Promise<void>((r) => server!.listen(0, host, () => r()));
  return { port: (server.address() as { port: number }).port, accepted };
}

/** A client in another process (as `uid` when given), holding the connection until killed. */
function client(port: number, host: string, uid?: number) {
  const code = `const s = require('node:net').connect(${port}, ${JSON.stringify(host)}); s.on('error', () => {}); setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['-e', code], { stdio: 'ignore', ...(uid === undefined ? {} : { uid, gid: uid }) });
}

describe.runIf(process.platform === 'linux')('peerUid (/proc/net/tcp)', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`names this user for a client of the same user (${host})`, async () => {
      const { port, accepted } = await listen(host);
      const c = client(port, host);
      try {
        const socket = await accepted;
        expect(peerUid(socket)).toBe(process.getuid!());
        expect(peerIsSameUser(socket)).toBe(true);
        socket.destroy();
      } finally {
        c.kill('SIGKILL');
      }
    });
  }

  it.runIf(process.getuid?.() === 0)('names another user for a client of that user (nobody, 65534)', async () => {
    const { port, accepted } = await listen('127.0.0.1');
    const c = client(port, '127.0.0.1', 65534);
    try {
      const socket = await accepted;
      expect(peerUid(socket)).toBe(65534);
      expect(peerIsSameUser(socket)).toBe(false);
      socket.destroy();
    } finally {
      c.kill('SIGKILL');
    }
  });
});
