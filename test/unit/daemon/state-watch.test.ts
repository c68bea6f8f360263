import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { createStoreHandle } from '../../../src/bus/store-handle.js';
import { openCheckedStore } from '../../../src/bus/store-open.js';
import { statePaths, writeDaemonInfo } from '../../../src/daemon/paths.js';
import { STATE_BACKSTOP_MS, watchStateDir } from '../../../src/daemon/state-watch.js';
import { writeToken } from '../../../src/server/token.js';
import { waitFor } from '../../helpers/wait-for.js';

// The state directory is watched (fs.watch), not polled: a deletion is seen
// at once, and the store's own writes wake nothing. The backstop poll is a
// minute (STATE_BACKSTOP_MS), far beyond these waits, so a test that passes
// saw the watch work.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'corral-state-watch-'));
  const stateDir = join(root, '.corral');
  const paths = statePaths(stateDir);
  const info = { pid: process.pid, host: '127.0.0.1', port: 1, started_at: 0, version: 'test', config: 'corral.yaml' };
  writeToken(stateDir, 'the-token');
  writeDaemonInfo(stateDir, info);
  const store = createStoreHandle(openCheckedStore({ file: paths.events, retention: { events: 1000, age: 86_400_000 } }).store);
  const bus = createBus({ store, sessionId: 's' });
  const log: string[] = [];
  const logger = { debug: () => {}, info: () => {}, warn: (m: string) => log.push(m), error: (m: string) => log.push(m) };
  const watch = watchStateDir({
    stateDir,
    token: 'the-token',
    info: () => info,
    store,
    retention: () => ({ events: 1000, age: 86_400_000 }),
    bus,
    logger,
    rewriteGroups: () => writeFileSync(paths.groups, '[]'),
    reopenLogs: () => {},
  });
  cleanups.push(() => {
    watch.stop();
    store.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { stateDir, paths, bus, store, log, watch };
}

describe('the state directory watch', () => {
  it('makes again, at once, a deleted daemon.json, token and the whole directory; again after the directory was made again', async () => {
    expect(STATE_BACKSTOP_MS).toBeGreaterThanOrEqual(30_000);
    const s = setup();
    unlinkSync(s.paths.daemon);
    await waitFor('daemon.json made again', () => existsSync(s.paths.daemon), Boolean, 10_000);
    writeFileSync(s.paths.token, 'someone else\n');
    await waitFor('the token written again', () => readFileSync(s.paths.token, 'utf8').trim(), (t) => t === 'the-token', 10_000);
    rmSync(s.stateDir, { recursive: true, force: true });
    await waitFor('the directory made again', () => existsSync(s.paths.daemon) && existsSync(s.paths.token) && existsSync(s.paths.events), Boolean, 10_000);
    expect(s.log.some((m) => m.includes('was deleted while corral ran'))).toBe(true);
    // The new directory is watched too.
    unlinkSync(s.paths.daemon);
    await waitFor('daemon.json made again in the new directory', () => existsSync(s.paths.daemon), Boolean, 10_000);
  });

  it("the store's own writes (events.db and its WAL) wake no check", async () => {
    const s = setup();
    const before = s.watch.checks();
    // Five commits, each followed by more than the watch's quiet time: each would make a check of its own.
    for (let i = 0; i < 5; i++) {
      const r = s.bus.publish({ event_type: 'test.write', source: 't', session_id: 's', payload: { i } });
      if (!r.ok) throw new Error(r.error.error_message);
      await s.store.flush();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(s.watch.checks()).toBe(before);
  });
});
