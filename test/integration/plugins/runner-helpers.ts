import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** A connection to a pty attach socket that collects everything it receives. */
export async function openAttach(socketPath: string): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  const socket = connect(socketPath);
  let received = '';
  socket.on('data', (c: Buffer) => (received += c.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, text: () => received, closed };
}

/** True when the pid exists and is not a zombie (a dead pane waits for tmux, a busy parent, to reap it). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
