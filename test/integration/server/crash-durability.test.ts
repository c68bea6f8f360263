import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hookEvent } from './helpers.js';
import { exitOf } from '../../helpers/wait-for.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts the server fixture in a child process and resolves with its port. */
function startDaemon(stateDir: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', './test/fixtures/ts-register.mjs', 'test/fixtures/server-daemon.ts', stateDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (c) => (err += c));
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /PORT (\d+)/.exec(out);
      if (m) res({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => rej(new Error(`the server fixture exited (${code}) before listening: ${err}`)));
  });
}

describe('durability', () => {
  it('SIGKILL in the middle of a burst of POSTs: after restart every event that got a 2xx is in the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-crash-'));
    dirs.push(dir);
    const first = await startDaemon(dir);
    const base = `http://127.0.0.1:${first.port}`;
    const acked = new Set<string>();
    let failures = 0;
    let killed = false;

    // 16 concurrent posters, single events and small arrays; they keep going
    // through the kill, so requests are in flight when the process dies.
    let inFlightAtKill = 0;
    let inFlight = 0;
    const poster = async (n: number) => {
      for (let i = 0; ; i++) {
        const body = i % 3 === 0 ? [hookEvent(i, { session_id: `p${n}` }), hookEvent(i + 0.5, { session_id: `p${n}` })] : hookEvent(i, { session_id: `p${n}` });
        inFlight++;
        try {
          const res = await fetch(`${base}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
          const json = (await res.json()) as { ids?: string[] };
          if (res.status >= 200 && res.status < 300) for (const id of json.ids ?? []) acked.add(id);
        } catch {
          failures++;
          if (killed) return;
        } finally {
          inFlight--;
        }
        if (!killed && acked.size >= 2000) {
          killed = true;
          inFlightAtKill = inFlight;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, n) => poster(n)));
    await exitOf(first.child);
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBeGreaterThanOrEqual(2000);

    const second = await startDaemon(dir);
    const stored = new Set<string>();
    let cursor: string | null = null;
    do {
      const url: string = `http://127.0.0.1:${second.port}/events?since=0&limit=10000${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await fetch(url)).json()) as { events: { id: string }[]; next_cursor: string | null };
      for (const e of page.events) stored.add(e.id);
      cursor = page.next_cursor;
    } while (cursor);
    const missing = [...acked].filter((id) => !stored.has(id));
    console.log(`durability: ${acked.size} events acknowledged before SIGKILL, ${stored.size} in the store after restart, ${missing.length} acknowledged but missing, ${inFlightAtKill} requests in flight at the kill, ${failures} failed`);
    expect(missing).toEqual([]);
    second.child.kill('SIGTERM');
  }, 180_000);
});
