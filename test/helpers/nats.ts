import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** Debian's nats-server (`apt-get install nats-server`). */
export const NATS_SERVER = '/usr/sbin/nats-server';
export const natsServerAvailable = existsSync(NATS_SERVER);

/** A nats-server with JetStream on a free loopback port, its store in a directory of its own. */
export interface TestNats {
  url: string;
  port: number;
  /** The JetStream store directory: a restart with the same one keeps the streams. */
  storeDir: string;
  pid(): number | undefined;
  /** Ends the server (SIGTERM, then SIGKILL) by its pid, and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** stop(), then removes the store directory. */
  cleanup(): Promise<void>;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Starts `nats-server -js` (extra args: auth, cluster) and waits until it accepts connections. */
export async function startNats(extraArgs: string[] = []): Promise<TestNats> {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'corral-nats-'));
  const storeDir = join(root, 'js');
  mkdirSync(storeDir);
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  const start = async (): Promise<void> => {
    const c = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    exited = new Promise((r) => c.once('exit', () => r()));
    await waitFor(`nats-server on ${port} (${log.slice(-400)})`, () => listening(port), Boolean, 15_000);
  };

  const stop = async (): Promise<void> => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    pid: () => child?.pid,
    stop,
    start,
    async cleanup() {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
