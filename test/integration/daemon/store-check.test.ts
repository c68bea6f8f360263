import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventStore } from '../../../src/bus/store.js';
import { cli, project } from './helpers.js';
import { freePort } from '../../helpers/free-port.js';

// The event store is checked when the daemon starts. A damaged one
// (corrupted, truncated) is moved aside and a new one made, said in the log
// and as an error.STO001 event: the components must run and corral's own
// events must not be lost silently (before: `up -d` said ready, then every
// publish got 503). A file corral may not write is named, with what to do
// (before: SQLite's "attempt to write a readonly database", whichever file it was).

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const COMPONENT = 'components:\n  a:\n    command: ["sleep", "300"]\n    ready_after: 0s\n';

/** A project whose store holds a few thousand events (written through the real store), the daemon not running. */
async function projectWithStore(): Promise<{ dir: string; db: string; port: number }> {
  const port = await freePort();
  const p = project(`version: 1\nbus: { port: ${port} }\nresources: { enabled: false }\n${COMPONENT}`);
  cleanups.push(() => p.cleanup());
  const dir = join(p.dir, '.corral');
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'events.db');
  const store = createEventStore({ file: db, worker: false });
  for (let seq = 1; seq <= 3000; seq++) {
    const event = { id: `e${seq}`, timestamp: Date.now(), event_type: 'test.fill', source: 'test', session_id: 's', version: '1.0', payload: { pad: 'x'.repeat(200) } };
    void store.append({ seq, event, json: JSON.stringify(event) } as never);
  }
  await store.flush();
  store.close();
  return { dir: p.dir, db, port };
}

async function publish(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event_type: 'test.after', source: 'test', session_id: 's', payload: {} }),
  });
  return res.status;
}

/** Makes a file impossible for this process to write: chmod for a user, the immutable flag for root (who ignores modes). */
function readOnly(file: string): void {
  if (process.getuid?.() === 0) {
    execFileSync('chattr', ['+i', file]);
    cleanups.push(() => void execFileSync('chattr', ['-i', file]));
  } else {
    chmodSync(file, 0o444);
  }
}

describe('the event store is checked at start', () => {
  for (const damage of ['corrupted', 'truncated'] as const) {
    it(`a ${damage} events.db is moved aside, the daemon starts on a new one and says so (log and error.STO001); publishes are stored`, { timeout: 90_000 }, async () => {
      const { dir, db, port } = await projectWithStore();
      if (damage === 'truncated') truncateSync(db, 50_000);
      else {
        const fd = openSync(db, 'r+');
        writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, 8192);
        closeSync(fd);
      }
      const up = await cli(['up', '-d'], dir);
      expect(up.code, up.stderr).toBe(0);

      const aside = readdirSync(join(dir, '.corral')).filter((f) => f.startsWith('events.db.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(await publish(port)).toBe(202);
      const events = await cli(['events', '-n', '50', '--json'], dir);
      expect(events.code, events.stderr).toBe(0);
      const types = events.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event_type: string }).event_type);
      expect(types).toContain('error.STO001');
      expect(types).toContain('test.after');
      const log = readFileSync(join(dir, '.corral', 'logs', 'corral.log'), 'utf8');
      expect(log).toContain(`${db} was damaged`);
      expect(log).toContain(aside[0]);
      const down = await cli(['down'], dir);
      expect(down.code, down.stderr).toBe(0);
    });
  }

  it('a stale -shm corral may not write stops the start with a message naming events.db-shm and the fix; a read-only events.db names events.db', { timeout: 90_000 }, async () => {
    const { dir, db } = await projectWithStore();
    // A -shm and -wal left by a daemon that died (copies taken while the database was open).
    const open = createEventStore({ file: db, worker: false });
    open.query({}, { limit: 1 });
    copyFileSync(`${db}-shm`, join(dir, 'shm'));
    copyFileSync(`${db}-wal`, join(dir, 'wal'));
    open.close();
    copyFileSync(join(dir, 'shm'), `${db}-shm`);
    copyFileSync(join(dir, 'wal'), `${db}-wal`);
    readOnly(`${db}-shm`);

    const up = await cli(['up', '-d'], dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`${db}-shm cannot be written`);
    expect(up.stderr).toContain('remove it');
    expect(existsSync(join(dir, '.corral', 'daemon.json'))).toBe(false);

    for (const c of cleanups.splice(1).reverse()) await c();
    rmSync(`${db}-shm`, { force: true });
    rmSync(`${db}-wal`, { force: true });
    readOnly(db);
    const again = await cli(['up', '-d'], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${db} cannot be written`);
    expect(again.stderr).toContain(`chmod u+w ${db}`);
    expect(readdirSync(join(dir, '.corral')).filter((f) => f.includes('corrupt'))).toEqual([]);
  });
});
