import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusEntry } from '../../../src/bus/types.js';
import { startDaemon, type Daemon } from '../../../src/daemon/daemon.js';
import { waitFor } from '../../helpers/wait-for.js';

/** A daemon started in this process on a temp config, with a recorder of its bus. */
export async function daemonFor(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-inproc-'));
  process.env.XDG_STATE_HOME = join(dir, 'xdg');
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, yaml);
  const daemon: Daemon = await startDaemon({ configPath: config, version: 'test' });
  const seen: BusEntry[] = [];
  const waiters: { match: (e: BusEntry) => boolean; resolve: (e: BusEntry) => void }[] = [];
  const off = daemon.bus.subscribe({}, (entry) => {
    seen.push(entry);
    for (const w of [...waiters]) {
      if (w.match(entry)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    }
  });
  // Every sample the resource monitor hands the supervisor (what `corral ps` shows), so a test can
  // count sampling passes instead of sleeping through them.
  const samples: { name: string; cpu_percent: number; memory_mb: number }[] = [];
  const setSample = daemon.supervisor.setSample.bind(daemon.supervisor);
  daemon.supervisor.setSample = (name, sample) => {
    samples.push({ name, ...sample });
    setSample(name, sample);
  };
  return {
    dir,
    config,
    daemon,
    seen,
    samples,
    /** Resolves once `count` samples of a component have been taken since `fromIndex` (of `samples`). */
    async waitForSamples(name: string, count: number, fromIndex = 0, timeoutMs = 20_000): Promise<void> {
      const taken = () => samples.slice(fromIndex).filter((s) => s.name === name).length;
      await waitFor(`${count} samples of ${name}`, taken, (n) => n >= count, timeoutMs);
    },
    /** Resolves with the first event (already seen, or coming) that matches; rejects after the timeout. */
    waitFor(what: string, match: (e: BusEntry) => boolean, timeoutMs = 20_000, fromIndex = 0): Promise<BusEntry> {
      const hit = seen.slice(fromIndex).find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = { match, resolve: (e: BusEntry) => (clearTimeout(t), resolve(e)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${what}; saw: ${seen.map((e) => e.event.event_type).join(', ')}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    pidOf(name: string): number | null {
      return daemon.controller.list().find((c) => c.name === name)?.pid ?? null;
    },
    async close() {
      off();
      await daemon.shutdown('test');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TestDaemon = Awaited<ReturnType<typeof daemonFor>>;

export const is = (type: string, component?: string) => (e: BusEntry) =>
  e.event.event_type === type && (component === undefined || (e.event.payload as { component?: string }).component === component);
