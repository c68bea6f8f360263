import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { createStatReader, type ProcStat, type StatReader } from './proc-stat.js';
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
  /** Closes the stat files kept open between passes. */
  close(): void;
}

/** Options of a sampler; the defaults read the real `/proc`. */
export interface TreeSamplerOptions {
  /** Directory listing of `/proc` (tests may inject). */
  listPids?: () => string[];
  /** Reader of one process's stat (tests may inject; then no file is kept open). */
  readStat?: (pid: number, out: ProcStat) => boolean;
  /** Monotonic clock in ms. */
  now?: () => number;
  clockTicks?: number;
  pageSize?: number;
  /**
   * The pid the kernel handed out last (default: the last field of
   * `/proc/loadavg`; with an injected `listPids`, none). While it is the same
   * as at the previous pass no process was created, so the pass reads the
   * members it knows and skips listing `/proc`. null: unknown, list.
   */
  lastPid?: () => number | null;
  /** Every how many passes every process is read again, not only tree members and new pids (default 15). */
  fullScanEvery?: number;
  /** Most stat files kept open between passes (default 1024). */
  maxOpenFiles?: number;
}

const MIB = 1024 * 1024;

/** What the previous pass saw of one tree member. */
interface Member {
  name: string;
  ppid: number;
  ticks: number;
  childTicks: number;
  start: number;
}

/**
 * Creates a sampler. To stay cheap with 100 components every 2 s, a pass
 * reads only what can matter: the stat of every tree member (through a file
 * kept open) and of every pid not seen before. A pid that was outside every
 * tree stays outside while the roots are the same: its ancestors only change
 * by being reparented to init, and it cannot join a component's group from
 * another session. A change of roots, and every `fullScanEvery`-th pass, reads
 * everything again (which also covers a pid reused within one interval).
 */
export function createTreeSampler(options: TreeSamplerOptions = {}): TreeSampler {
  const listPids = options.listPids ?? (() => readdirSync('/proc'));
  const lastPid = options.lastPid ?? (options.listPids ? () => null : readLastPid);
  const reader: StatReader = options.readStat
    ? { read: options.readStat, keep() {}, sweep() {}, close() {}, openCount: () => 0 }
    : createStatReader(options.maxOpenFiles ?? 1024);
  const now = options.now ?? (() => performance.now());
  const constants =
    options.clockTicks !== undefined && options.pageSize !== undefined
      ? { clockTicks: options.clockTicks, pageSize: options.pageSize }
      : readSystemConstants();
  const clockTicks = options.clockTicks ?? constants.clockTicks;
  const pageSize = options.pageSize ?? constants.pageSize;
  const fullScanEvery = options.fullScanEvery ?? 15;

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
  const childTicks: number[] = [];
  const stat: ProcStat = { pid: 0, ppid: 0, pgid: 0, ticks: 0, childTicks: 0, start: 0, rssPages: 0 };
  const columns: Columns = { pid, ppid, pgid, ticks, childTicks, start, rss, owner, resolved, indexOf, rootKey, walk, stat };

  // Pids known to be outside every tree, from the previous pass, and this pass's.
  let outside = new Set<number>();
  let nextOutside = new Set<number>();
  const rootPids: number[] = [];
  let passes = 0;
  let lastPidSeen: number | null = null;

  // The previous pass's tree members. Records are moved, not copied, from
  // one pass's map to the next, so a steady tree allocates nothing here.
  let prevMembers = new Map<number, Member>();
  let nextMembers = new Map<number, Member>();
  let prevTime: number | null = null;
  // The newest start time ever read: a member with no baseline that started
  // later is new since the last pass and is charged all its ticks; an older
  // one (a process that joined a tree) gets its baseline now and is charged 0.
  let newestStart = -1;

  function sample(roots: ReadonlyMap<string, readonly number[]>): Map<string, TreeSample> {
    const time = now();
    rootKey.clear();
    // Compared in place with the previous pass's roots, so no key is built.
    // (forEach and index loops, not for...of: the daemon runs interpreted, where
    // every iteration of an iterator allocates its result object.)
    let changed = false;
    let r = 0;
    roots.forEach((pids, name) => {
      for (let k = 0; k < pids.length; k++) {
        const p = pids[k]!;
        rootKey.set(p, name);
        if (rootPids[r] !== p) changed = true;
        rootPids[r++] = p;
      }
    });
    if (rootPids.length !== r) changed = true;
    rootPids.length = r;
    const full = changed || passes % fullScanEvery === 0;
    passes++;

    // Read before the listing: a process created after it shows at the next pass.
    const last = lastPid();
    const noneCreated = !full && last !== null && last === lastPidSeen;
    lastPidSeen = last;

    const n = readProcesses(columns, reader, listPids, full, noneCreated, prevMembers, outside, nextOutside);

    const result = new Map<string, TreeSample>();
    // Until the end of the pass, cpu_percent holds the tree's tick delta and memory_mb its pages.
    roots.forEach((_pids, name) => result.set(name, { cpu_percent: 0, memory_mb: 0, pids: [] }));
    nextMembers.clear();
    let newest = newestStart;
    for (let i = 0; i < n; i++) {
      const p = pid[i]!;
      if (start[i]! > newest) newest = start[i]!;
      const name = rootKey.size === 0 ? null : ownerOf(columns, i);
      if (name === null) {
        nextOutside.add(p);
        continue;
      }
      const tree = result.get(name)!;
      tree.pids.push(p);
      tree.memory_mb += rss[i]!;
      reader.keep(p);
      // A member's own ticks plus those of the children it reaped meanwhile,
      // so short-lived commands a component runs are counted too.
      const used = ticks[i]! + childTicks[i]!;
      let record = prevMembers.get(p);
      let delta: number;
      if (record !== undefined && record.start === start[i]) {
        prevMembers.delete(p);
        delta = used - record.ticks - record.childTicks;
      } else {
        // No baseline: new since the last pass (all of it counts) or just joined (none does).
        delta = start[i]! > newestStart ? used : 0;
        record = { name, ppid: 0, ticks: 0, childTicks: 0, start: 0 };
      }
      record.name = name;
      record.ppid = ppid[i]!;
      record.ticks = ticks[i]!;
      record.childTicks = childTicks[i]!;
      record.start = start[i]!;
      nextMembers.set(p, record);
      tree.cpu_percent += delta;
    }
    newestStart = newest;
    // A member gone since the last pass was reaped by its parent, whose child
    // ticks now hold everything it ever used, already counted up to the last
    // pass: take that part back out. A pid reused by a new process counts as
    // gone; one that merely left the tree is still listed and is skipped. (When
    // a parent and its child both go within one interval, the child's earlier
    // ticks are counted twice for that pass.)
    prevMembers.forEach((gone, p) => {
      const i = indexOf.get(p);
      if (i !== undefined && start[i] === gone.start) return;
      if (nextMembers.get(gone.ppid)?.name !== gone.name) return;
      const tree = result.get(gone.name);
      if (tree) tree.cpu_percent -= gone.ticks + gone.childTicks;
    });
    prevMembers.clear();
    reader.sweep(nextMembers);

    const elapsedSec = prevTime === null ? 0 : (time - prevTime) / 1000;
    result.forEach((tree) => {
      tree.memory_mb = round1((tree.memory_mb * pageSize) / MIB);
      // Clamped: a child reaped by some other process than the one recorded could make it negative.
      tree.cpu_percent = elapsedSec > 0 ? round1((Math.max(0, tree.cpu_percent) / clockTicks / elapsedSec) * 100) : 0;
    });

    [prevMembers, nextMembers] = [nextMembers, prevMembers];
    [outside, nextOutside] = [nextOutside, outside];
    prevTime = time;
    return result;
  }

  return { sample, close: () => reader.close() };
}

/** One pass's processes, column by column (reused from pass to pass), and the scratch of `ownerOf`. */
interface Columns {
  pid: number[];
  ppid: number[];
  pgid: number[];
  ticks: number[];
  childTicks: number[];
  start: number[];
  rss: number[];
  owner: (string | null)[];
  resolved: boolean[];
  indexOf: Map<number, number>;
  rootKey: Map<number, string>;
  walk: number[];
  stat: ProcStat;
}

/**
 * The name whose tree holds process `i`, or null. Ancestry decides first (a
 * root, or the nearest ancestor that is in a tree), the group second (for a
 * group member whose parent is gone), so a component started inside the
 * daemon's group still owns its children. Memoised along the ancestor path.
 */
function ownerOf(t: Columns, i: number): string | null {
  const { walk, resolved, owner, rootKey, pid, ppid, pgid, indexOf } = t;
  walk.length = 0;
  let j = i;
  let above: string | null = null;
  for (;;) {
    if (resolved[j]) {
      above = owner[j] ?? null;
      break;
    }
    const key = rootKey.get(pid[j]!);
    if (key !== undefined) {
      owner[j] = key;
      resolved[j] = true;
      above = key;
      break;
    }
    // Marked before the parent is looked at, so a (kernel-impossible) cycle ends.
    resolved[j] = true;
    owner[j] = null;
    walk.push(j);
    // A parent that was skipped is known to be outside every tree.
    const parent = indexOf.get(ppid[j]!);
    if (parent === undefined) break;
    j = parent;
  }
  // From the top of the path down: a process takes its parent's tree, else its group's.
  for (let k = walk.length - 1; k >= 0; k--) {
    const node = walk[k]!;
    above = above ?? rootKey.get(pgid[node]!) ?? null;
    owner[node] = above;
  }
  return above;
}

/**
 * Reads this pass's processes into the columns: every pid listed in `/proc`
 * (but those known to be outside every tree, unless `full`), or only the
 * previous pass's members when `noneCreated`. Returns how many were read.
 */
function readProcesses(
  t: Columns,
  reader: StatReader,
  listPids: () => string[],
  full: boolean,
  noneCreated: boolean,
  prevMembers: Map<number, Member>,
  outside: Set<number>,
  nextOutside: Set<number>,
): number {
  const { pid, ppid, pgid, ticks, childTicks, start, rss, resolved, owner, indexOf, stat } = t;
  indexOf.clear();
  nextOutside.clear();
  let n = 0;
  const take = (p: number): void => {
    if (!reader.read(p, stat)) return; // exited since the listing
    pid[n] = p;
    ppid[n] = stat.ppid;
    pgid[n] = stat.pgid;
    ticks[n] = stat.ticks;
    childTicks[n] = stat.childTicks;
    start[n] = stat.start;
    rss[n] = stat.rssPages;
    resolved[n] = false;
    owner[n] = null;
    indexOf.set(p, n);
    n++;
  };
  if (noneCreated) {
    // No new process anywhere since the last pass: the trees are the members
    // it had (minus those gone), and every process outside stays outside.
    prevMembers.forEach((_member, p) => take(p));
    outside.forEach((p) => nextOutside.add(p));
  } else {
    const entries = listPids();
    for (let e = 0; e < entries.length; e++) {
      const entry = entries[e]!;
      const c = entry.charCodeAt(0);
      if (c < 0x30 || c > 0x39) continue;
      const p = Number(entry);
      if (!full && outside.has(p)) {
        nextOutside.add(p);
        continue;
      }
      take(p);
    }
  }
  return n;
}

const loadavg = Buffer.alloc(128);
let loadavgFd: number | null = null;

/** The last field of /proc/loadavg: the most recently created pid (of this pid namespace). */
export function readLastPid(): number | null {
  try {
    loadavgFd ??= openSync('/proc/loadavg', 'r');
    const length = readSync(loadavgFd, loadavg, 0, loadavg.length, 0);
    let i = length - 1;
    while (i >= 0 && (loadavg[i]! < 0x30 || loadavg[i]! > 0x39)) i--;
    let value = 0;
    let scale = 1;
    while (i >= 0 && loadavg[i]! >= 0x30 && loadavg[i]! <= 0x39) {
      value += (loadavg[i]! - 0x30) * scale;
      scale *= 10;
      i--;
    }
    return scale > 1 && loadavg[i] === 0x20 ? value : null;
  } catch {
    if (loadavgFd !== null) {
      try {
        closeSync(loadavgFd);
      } catch {
        // Already closed.
      }
    }
    loadavgFd = null;
    return null;
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
