import { connect } from 'node:net';
import type { ProbeCheck } from './types.js';

/** Parses `HOST:PORT` or `PORT` (host 127.0.0.1). */
export function parseTcpTarget(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  if (i === -1) return { host: '127.0.0.1', port: Number(target) };
  return { host: target.slice(0, i) || '127.0.0.1', port: Number(target.slice(i + 1)) };
}

/** Opens a TCP connection; ok once it connects, then closes it. */
export function tcpCheck(target: string): ProbeCheck {
  const { host, port } = parseTcpTarget(target);
  return (signal) =>
    new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const onAbort = () => {
        socket.destroy();
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve({ ok: true, detail: `connected to ${host}:${port}` });
      });
      socket.once('error', (err) => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(err);
      });
    });
}
