import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogSink } from '../../../src/logs/index.js';
import type { LogSink } from '../../../src/logs/types.js';
import type { Instance } from '../../../src/plugins/types.js';
import { encodeData, encodeResize, runPty } from '../../../src/runners/pty/index.js';
import { alive, openAttach } from './runner-helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const ECHO = resolve('test/fixtures/pty-echo.mjs');

describe('pty runner', () => {
  let dir: string;
  let logs: LogSink;
  const started: Instance[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-pty-'));
    logs = createLogSink({ dir: join(dir, 'logs'), name: 'echo' });
  });
  afterEach(async () => {
    await Promise.allSettled(started.splice(0).map((i) => i.stop('SIGKILL', 1000)));
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(extra: { cols?: number; rows?: number } = {}): Promise<Instance> {
    const instance = await runPty({ name: 'echo', command: [process.execPath, ECHO], stateDir: join(dir, 'state'), logs, ...extra });
    started.push(instance);
    return instance;
  }

  it('gives the process a real terminal and logs its output', async () => {
    const instance = await start({ cols: 90, rows: 30 });
    expect(instance.attach).toEqual({ kind: 'pty', socketPath: join(dir, 'state', 'attach', 'echo.sock') });
    const logFile = join(dir, 'logs', 'echo.log');
    await waitFor('the ready line in the log', () => {
      try {
        return readFileSync(logFile, 'utf8').includes('ready tty=true size=90x30');
      } catch {
        return false;
      }
    });
    const info = await instance.stop('SIGTERM', 5000);
    expect(info.signal).toBe('SIGTERM');
    expect(alive(instance.pid!)).toBe(false);
  });

  it('attach: scrollback first, keys reach the process, resize is honoured, detaching leaves it running', async () => {
    const instance = await start();
    const first = await openAttach((instance.attach as { socketPath: string }).socketPath);
    await waitFor('the scrollback', () => first.text().includes('ready tty=true'));
    first.socket.write(encodeData('hello pty\r'));
    await waitFor('the echoed line', () => first.text().includes('got: hello pty'));
    first.socket.write(encodeResize(100, 33));
    await waitFor('the resize', () => first.text().includes('resized 100x33'));
    first.socket.end();
    await first.closed;

    // Detached: the process runs on, and a second client sees what happened before it came.
    expect(alive(instance.pid!)).toBe(true);
    const second = await openAttach((instance.attach as { socketPath: string }).socketPath);
    await waitFor('the earlier output replayed', () => second.text().includes('got: hello pty'));
    second.socket.write(encodeData('again\r'));
    await waitFor('live output', () => second.text().includes('got: again'));
    second.socket.destroy();

    await instance.stop('SIGTERM', 5000);
    await second.closed;
  });

  it('ends the whole group on stop, SIGKILLing a process that ignores the signal', async () => {
    const instance = await runPty({ name: 'stubborn', command: [process.execPath, resolve('test/fixtures/ignore-sigterm.js')], stateDir: join(dir, 'state') });
    started.push(instance);
    // It prints "ready" once its handler is installed.
    const client = await openAttach((instance.attach as { socketPath: string }).socketPath);
    await waitFor('the ready line', () => client.text().includes('ready'));
    client.socket.destroy();
    const info = await instance.stop('SIGTERM', 500);
    expect(info.killed).toBe(true);
    expect(alive(instance.pid!)).toBe(false);
  });

  it('reports the exit code of a process that ends by itself', async () => {
    const instance = await runPty({ name: 'quick', command: 'sh -c "exit 3"', stateDir: join(dir, 'state') });
    started.push(instance);
    expect(await instance.exited).toMatchObject({ code: 3, signal: null });
  });

  it('rejects a cwd that does not exist naming it, not the program', async () => {
    const cwd = join(dir, 'does-not-exist');
    await expect(runPty({ name: 'echo', command: [process.execPath, ECHO], cwd, stateDir: join(dir, 'state') })).rejects.toMatchObject({
      code: 'ENOENT',
      message: `cwd ${cwd} does not exist`,
    });
  });

  it('rejects a program that does not exist with ENOENT naming it', async () => {
    await expect(runPty({ name: 'missing', command: 'no-such-program-xyz', stateDir: join(dir, 'state') })).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining('no-such-program-xyz not found on PATH'),
    });
  });
});
