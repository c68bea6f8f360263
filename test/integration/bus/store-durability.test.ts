import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, expect, test } from 'vitest';
import { createEventStore } from '../../../src/bus/store.js';
import { transpileSrc } from '../../helpers/transpile-src.js';

let storeModule: string;
let dir: string | undefined;
let child: ChildProcess | undefined;

beforeAll(() => {
  storeModule = transpileSrc('src/bus/store.ts', 'store-durability');
});
afterEach(() => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every append that resolved before a SIGKILL is in the store after reopening', async () => {
  dir = mkdtempSync(join(tmpdir(), 'corral-durability-'));
  const file = join(dir, 'events.db');
  const proc = spawn(process.execPath, [resolve('test/fixtures/store-burst.mjs'), storeModule, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  child = proc;
  const printed: number[] = [];
  let buffer = '';
  // 'close', not 'exit': stdout may still hold lines when the process is gone.
  const exited = new Promise<void>((res) => proc.on('close', () => res()));
  // Kill mid-burst, once a good number of batches have committed.
  await new Promise<void>((res, rej) => {
    proc.on('exit', (code) => rej(new Error(`fixture exited early with ${code}`)));
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) printed.push(Number(l));
      if (printed.length >= 20_000 && proc.signalCode === null) {
        proc.kill('SIGKILL');
        res();
      }
    });
  });
  await exited;
  expect(proc.signalCode).toBe('SIGKILL');
  // Lines still in the pipe when the kill landed were also printed after their commit.
  for (const l of buffer.split('\n')) if (l) printed.push(Number(l));

  const store = createEventStore({ file });
  try {
    const stored = new Set<number>();
    let cursor: string | null = null;
    do {
      const page = store.query({}, { limit: 10_000, ...(cursor ? { cursor } : {}) });
      for (const e of page.events) stored.add(e.seq);
      cursor = page.next_cursor;
    } while (cursor);
    const missing = printed.filter((s) => !stored.has(s));
    expect(missing).toEqual([]);
    expect(stored.size).toBeGreaterThanOrEqual(printed.length);
  } finally {
    store.close();
  }
});
