import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import type { Socket } from 'node:net';

/**
 * The uid of the process at the other end of a loopback TCP connection, or
 * null when it cannot be told (not Linux, /proc unreadable, the entry gone).
 * Node exposes no SO_PEERCRED for TCP; Linux lists every socket of the
 * network namespace in /proc/net/tcp and /proc/net/tcp6 with the uid that
 * created it, so the client's end (its address and port as local, ours as
 * remote) names its user. One read of those files per connection (a few
 * hundred microseconds for a thousand sockets), remembered for the socket.
 */
export function peerUid(socket: Socket): number | null {
  const known = cache.get(socket);
  if (known !== undefined) return known;
  const uid = lookup(socket);
  cache.set(socket, uid);
  return uid;
}

/** Whether the other end of a loopback connection runs as this process's user; null when it cannot be told. */
export function peerIsSameUser(socket: Socket): boolean | null {
  const uid = peerUid(socket);
  const own = process.getuid?.();
  return uid === null || own === undefined ? null : uid === own;
}

const cache = new WeakMap<Socket, number | null>();

function lookup(socket: Socket): number | null {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return null;
  const client = hexAddress(remoteAddress);
  const server = hexAddress(localAddress);
  // An IPv4 pair is in tcp, or in tcp6 in the v4-mapped form (::ffff:a.b.c.d) when the server listens on ::.
  const forms: [string, string, string][] =
    client.length === 8
      ? [
          ['/proc/net/tcp', client, server],
          ['/proc/net/tcp6', MAPPED + client, MAPPED + server],
        ]
      : [['/proc/net/tcp6', client, server]];
  for (const [table, c, s] of forms) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    // One line per socket: `sl local_address rem_address st tx:rx tr:when retrnsmt uid …`; the client's end has
    // its address as local and ours as remote. A string search, not a parse of every line: the table holds every
    // socket of the network namespace, TIME_WAIT ones included.
    const at = text.indexOf(` ${c}:${hexPort(remotePort)} ${s}:${hexPort(localPort)} `);
    if (at < 0) continue;
    const end = text.indexOf('\n', at);
    const cols = text.slice(at, end < 0 ? undefined : end).trim().split(/\s+/);
    const uid = Number(cols[6]);
    return Number.isInteger(uid) ? uid : null;
  }
  return null;
}

const LE = endianness() === 'LE';
/** The first three 32-bit words of ::ffff:0:0/96, as the kernel prints them (each in host byte order). */
const MAPPED = `0000000000000000${LE ? 'FFFF0000' : '0000FFFF'}`;

/** An address as /proc/net/tcp prints it: each 32-bit word in host byte order, in hex. */
function hexAddress(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4) return word([Number(v4[1]), Number(v4[2]), Number(v4[3]), Number(v4[4])]);
  const bytes = ipv6Bytes(address);
  let out = '';
  for (let i = 0; i < 16; i += 4) out += word(bytes.slice(i, i + 4));
  return out;
}

function word(bytes: number[]): string {
  const ordered = LE ? [...bytes].reverse() : bytes;
  return ordered.map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

function hexPort(port: number): string {
  return port.toString(16).padStart(4, '0').toUpperCase();
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parts = (s: string | undefined) => (s ? s.split(':').filter(Boolean) : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = [...h, ...Array<string>(tail === undefined ? 0 : 8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [(n >> 8) & 0xff, n & 0xff];
  });
}
