import { readdirSync } from 'node:fs';
import { readProcStat, type ProcStat } from './proc-stat.js';
import { readSystemConstants } from './system-constants.js';

/** What one sample says about one root's whole process tree. */
export interface TreeSample {
  /** Percent of one core, summed over the tree, since the previous sample (0 on the first). */
  cpu_percent: number;
  /** Resident memory of the tree, in MiB. */
  memory_mb: number;
  /** Every pid counted in the tree. */
  pids: number[];
}

/** Samples many process trees at once. */
export interface TreeSampler {
  /**
   * One pass over `/proc`. `roots` maps a name to its root pids (process-group
   * leaders); each tree is every process whose pgid is a root, or that descends
   * from a root or from such a process. A process belongs to at most one name:
   * the nearest root wins, so a daemon's tree does not swallow the groups it
   * started when those are roots of their own.
   */
  sample(roots: ReadonlyMap<string, readonly number[]>): Map<string, TreeSample>;
}

/** Options of a sampler; the defaults read the real `/proc`. */
export interface TreeSamplerOptions {
  /** Directory listing of `/proc` (tests may inject). */
  listPids?: () => string[];
  /** Reader of one process's stat (tests may inject). */
  readStat?: (pid: number, out: ProcStat) => boolean;
  /** Monotonic clock in ms. */
  now?: () => number;
  clockTicks?: number;
  pageSize?: number;
}

const MIB = 1024 * 1024;

/** Creates a sampler that keeps the previous pass's tick counts to compute CPU %. */
export function createTreeSampler(options: TreeSamplerOptions = {}): TreeSampler {
  const listPids = options.listPids ?? (() => readdirSync('/proc'));
  const readStat = options.readStat ?? readProcStat;
  const now = options.now ?? (() => performance.now());
  const constants =
    options.clockTicks !== undefined && options.pageSize !== undefined
      ? { clockTicks: options.clockTicks, pageSize: options.pageSize }
      : readSystemConstants();
  const clockTicks = options.clockTicks ?? constants.clockTicks;
  const pageSize = options.pageSize ?? constants.pageSize;

  // Columns of the current pass, reused from pass to pass so a sample
  // allocates little beyond its result.
  const pid: number[] = [];
  const ppid: number[] = [];
  const pgid: number[] = [];
  const ticks: number[] = [];
  const start: number[] = [];
  const rss: number[] = [];
  const owner: (string | null)[] = [];
  const resolved: boolean[] = [];
  const indexOf = new Map<number, number>();
  const rootKey = new Map<number, string>();
  const walk: number[] = [];
  const stat: ProcStat = { pid: 0, ppid: 0, pgid: 0, ticks: 0, start: 0, rssPages: 0 };

  // Tick counts of the previous pass, for every process seen (not only tree
  // members), so a process that joins a tree later is not charged its whole
  // lifetime. Keyed by pid, with the start time to detect pid reuse.
  let prevTicks = new Map<number, number>();
  let prevStart = new Map<number, number>();
  let nextTicks = new Map<number, number>();
  let nextStart = new Map<number, number>();
  let prevTime: number | null = null;

  /** The name whose tree holds process `i`, or null; memoised along the ancestor path. */
  function ownerOf(i: number): string | null {
    walk.length = 0;
    let j = i;
    let result: string | null = null;
    for (;;) {
      if (resolved[j]) {
        result = owner[j] ?? null;
        break;
      }
      const key = rootKey.get(pid[j]!) ?? rootKey.get(pgid[j]!);
      if (key !== undefined) {
        owner[j] = key;
        resolved[j] = true;
        result = key;
        break;
      }
      // Marked before the parent is looked at, so a (kernel-impossible) cycle ends.
      resolved[j] = true;
      owner[j] = null;
      walk.push(j);
      const parent = indexOf.get(ppid[j]!);
      if (parent === undefined) break;
      j = parent;
    }
    for (const k of walk) owner[k] = result;
    return result;
  }

  function sample(roots: ReadonlyMap<string, readonly number[]>): Map<string, TreeSample> {
    const time = now();
    rootKey.clear();
    for (const [name, pids] of roots) for (const p of pids) rootKey.set(p, name);

    indexOf.clear();
    let n = 0;
    for (const entry of listPids()) {
      const c = entry.charCodeAt(0);
      if (c < 0x30 || c > 0x39) continue;
      const p = Number(entry);
      if (!readStat(p, stat)) continue; // exited since the listing
      pid[n] = p;
      ppid[n] = stat.ppid;
      pgid[n] = stat.pgid;
      ticks[n] = stat.ticks;
      start[n] = stat.start;
      rss[n] = stat.rssPages;
      resolved[n] = false;
      owner[n] = null;
      indexOf.set(p, n);
      n++;
    }

    const result = new Map<string, TreeSample>();
    const deltas = new Map<string, number>();
    for (const name of roots.keys()) {
      result.set(name, { cpu_percent: 0, memory_mb: 0, pids: [] });
      deltas.set(name, 0);
    }
    nextTicks.clear();
    nextStart.clear();
    for (let i = 0; i < n; i++) {
      const p = pid[i]!;
      nextTicks.set(p, ticks[i]!);
      nextStart.set(p, start[i]!);
      if (rootKey.size === 0) continue;
      const name = ownerOf(i);
      if (name === null) continue;
      const tree = result.get(name)!;
      tree.pids.push(p);
      tree.memory_mb += rss[i]!;
      // A pid never seen before, or reused since, started after the previous
      // pass: everything it has used falls inside this interval.
      const before = prevStart.get(p) === start[i] ? (prevTicks.get(p) ?? 0) : 0;
      deltas.set(name, deltas.get(name)! + Math.max(0, ticks[i]! - before));
    }

    const elapsedSec = prevTime === null ? 0 : (time - prevTime) / 1000;
    for (const [name, tree] of result) {
      tree.memory_mb = round1((tree.memory_mb * pageSize) / MIB);
      tree.cpu_percent = elapsedSec > 0 ? round1((deltas.get(name)! / clockTicks / elapsedSec) * 100) : 0;
    }

    [prevTicks, nextTicks] = [nextTicks, prevTicks];
    [prevStart, nextStart] = [nextStart, prevStart];
    prevTime = time;
    return result;
  }

  return { sample };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
