import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { escapeeAlive, findEscapees, isGroupAlive, signalEscapees, waitEscapeesGone, waitGroupGone, type Escapee } from '../runners/process/group.js';
import type { Logger } from '../runners/types.js';
import { readLastPid } from '../resources/sampler.js';
import { processStartTicks } from '../util/proc.js';
import { statePaths } from './paths.js';

export { processStartTicks };

/** A process that left a component's group (setsid), recorded with its start time so a reused pid is never signalled. */
export interface EscapeeRecord {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22). */
  start_ticks: number;
  /** It leads a group of its own: the whole group is ended. */
  leader: boolean;
}

/** A process group corral started, recorded so a later daemon can end it if this one dies. */
export interface GroupRecord {
  name: string;
  pgid: number;
  /** The leader's start time in clock ticks since boot (/proc/PID/stat field 22), to tell pid reuse apart. */
  start_ticks: number | null;
  /** Processes that left the group, found by the periodic walk (absent when none). */
  escapees?: EscapeeRecord[];
}

/** A live group as the supervisor reports it. */
export interface LiveGroup {
  name: string;
  pgid: number;
}

/** Writes the live groups atomically (write then rename), so a crash never leaves half a file. */
export function writeGroups(stateDir: string, groups: GroupRecord[]): void {
  const file = statePaths(stateDir).groups;
  writeFileSync(`${file}.tmp`, JSON.stringify(groups), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

export function readGroups(stateDir: string): GroupRecord[] {
  try {
    const parsed = JSON.parse(readFileSync(statePaths(stateDir).groups, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as GroupRecord[]) : [];
  } catch {
    return [];
  }
}

/**
 * When the live groups are walked for processes that left them: this long
 * after the groups change, then twice as long each time while the wait is at
 * most ESCAPEE_EARLY_MS (1, 2, 4 and 8 s: the walks that find what a
 * component forks as it starts), then every ESCAPEE_WALK_MAX_MS. A walk of
 * 100 groups costs the interpreted daemon ~10-20 ms of CPU: walking every 30 s
 * made an idle daemon with 100 groups spend ~0.05 % of a core on it, every
 * 5 minutes ~0.005 %.
 */
export const ESCAPEE_WALK_MS = 1000;
export const ESCAPEE_EARLY_MS = 8000;
export const ESCAPEE_WALK_MAX_MS = 300_000;
/** Escapees kept per group: a fork bomb of setsid children must not grow the file without bound. */
const MAX_ESCAPEES = 64;

/** The record of live groups a daemon keeps in its state directory. */
export interface GroupRecorder {
  /** The supervisor's live groups changed: written on the next turn (twenty changes at once make one write). */
  set(groups: readonly LiveGroup[]): void;
  /** Walks the live groups for escapees now (the timer does it, see ESCAPEE_WALK_MS); true when the record changed. */
  walk(): boolean;
  /** Writes what is pending now. */
  flush(): void;
  /** Stops the walks; `clear` empties the record (every group is gone), else what is pending is written. */
  close(clear: boolean): void;
}

/**
 * Keeps the state directory's record of live process groups: each leader's
 * start time (read once per group), and the processes that left a group
 * (`setsid cmd &`), found by walking each group's tree as a stop would
 * (1, 2, 4 and 8 s after the groups change, then every 5 minutes). A daemon
 * killed with SIGKILL stops nothing; the next one reads this record and ends
 * the groups and the escapees (see `endOrphanGroups`). A walk reads two small
 * /proc files per process of a live group (about 0.2 ms per group), and is
 * skipped when `/proc/loadavg` says no process was created since the last
 * one; the file is rewritten only when it changes.
 */
export function createGroupRecorder(stateDir: string, logger: Logger, walkMs = ESCAPEE_WALK_MS, maxWalkMs = ESCAPEE_WALK_MAX_MS): GroupRecorder {
  let live: LiveGroup[] = [];
  const startTicks = new Map<number, number | null>();
  const escapees = new Map<number, Escapee[]>();
  let pending: NodeJS.Immediate | null = null;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const write = () => {
    if (pending) clearImmediate(pending);
    pending = null;
    try {
      writeGroups(
        stateDir,
        live.map((g) => {
          if (!startTicks.has(g.pgid)) startTicks.set(g.pgid, processStartTicks(g.pgid));
          const found = escapees.get(g.pgid) ?? [];
          const record: GroupRecord = { name: g.name, pgid: g.pgid, start_ticks: startTicks.get(g.pgid) ?? null };
          if (found.length > 0) record.escapees = found.map((e) => ({ pid: e.pid, start_ticks: e.start, leader: e.leader }));
          return record;
        }),
      );
    } catch (err) {
      logger.warn(`cannot write the process-group file: ${(err as Error).message}`);
    }
  };

  const walk = (): boolean => {
    let changed = false;
    for (const g of live) {
      const known = escapees.get(g.pgid) ?? [];
      const kept = known.filter(escapeeAlive);
      const seen = new Set(kept.map((e) => `${e.pid}:${e.start}`));
      for (const e of findEscapees(g.pgid)) {
        if (kept.length >= MAX_ESCAPEES) break;
        if (seen.has(`${e.pid}:${e.start}`)) continue;
        seen.add(`${e.pid}:${e.start}`);
        kept.push(e);
      }
      if (kept.length !== known.length || kept.some((e, i) => e !== known[i])) changed = true;
      if (kept.length > 0) escapees.set(g.pgid, kept);
      else escapees.delete(g.pgid);
    }
    if (changed) write();
    return changed;
  };

  let delay = walkMs;
  let lastPidWalked: number | null = null;
  /** (Re)arms the walk timer; `fresh` when the groups changed: walk soon again. */
  const schedule = (fresh: boolean) => {
    if (fresh) delay = walkMs;
    if (timer && !fresh) return;
    if (timer) clearTimeout(timer);
    timer = null;
    if (closed || live.length === 0) return;
    timer = setTimeout(() => {
      timer = null;
      // No process created since the last walk: no new escapee either.
      const last = readLastPid();
      if (last === null || last !== lastPidWalked) {
        lastPidWalked = last;
        try {
          walk();
        } catch (err) {
          logger.warn(`walking the process groups failed: ${(err as Error).message}`);
        }
      }
      delay = delay * 2 <= ESCAPEE_EARLY_MS ? delay * 2 : maxWalkMs;
      schedule(false);
    }, delay);
    timer.unref();
  };

  return {
    set(groups) {
      live = groups.map((g) => ({ name: g.name, pgid: g.pgid }));
      const pgids = new Set(live.map((g) => g.pgid));
      for (const pgid of startTicks.keys()) if (!pgids.has(pgid)) startTicks.delete(pgid);
      for (const pgid of escapees.keys()) if (!pgids.has(pgid)) escapees.delete(pgid);
      pending ??= setImmediate(write);
      schedule(true);
    },
    walk,
    flush: write,
    close(clear) {
      closed = true;
      schedule(true);
      if (clear) {
        live = [];
        escapees.clear();
      }
      write();
    },
  };
}

/**
 * Whether a recorded group is still the one corral started. While any member
 * of a group lives, Linux does not hand its id to a new process, so a live
 * group whose leader is gone is still ours; a live leader must have the
 * recorded start time.
 */
function stillOurs(record: GroupRecord): boolean {
  if (!isGroupAlive(record.pgid, 0)) return false;
  const ticks = processStartTicks(record.pgid);
  return ticks === null || record.start_ticks === null || ticks === record.start_ticks;
}

/** The recorded escapees that are still the processes recorded (same pid, same start time). */
function liveEscapees(records: readonly GroupRecord[]): Escapee[] {
  const out: Escapee[] = [];
  for (const r of records) {
    if (!Array.isArray(r.escapees)) continue;
    for (const e of r.escapees) {
      if (!Number.isInteger(e?.pid) || e.pid <= 1 || !Number.isInteger(e.start_ticks)) continue;
      const escapee = { pid: e.pid, start: e.start_ticks, leader: e.leader === true };
      if (escapeeAlive(escapee)) out.push(escapee);
    }
  }
  return out;
}

/**
 * Ends the process groups a dead daemon left behind, and the processes that
 * had left them (setsid): SIGTERM to each, then SIGKILL to whatever is left
 * after `graceMs`. Returns the names of the components whose processes were ended.
 */
export async function endOrphanGroups(stateDir: string, graceMs = 3000): Promise<string[]> {
  const recorded = readGroups(stateDir);
  const orphans = recorded.filter(stillOurs);
  const strays = liveEscapees(recorded);
  for (const g of orphans) {
    try {
      process.kill(-g.pgid, 'SIGTERM');
    } catch {}
  }
  signalEscapees(strays, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  // Gone once no member is left but zombies: the orphans' new parent (PID 1, often no real init in a
  // container) may reap them seconds later or never, and a zombie holds nothing.
  const stubborn = await Promise.all(orphans.map(async (g) => ((await waitGroupGone(g.pgid, graceMs)) ? null : g)));
  for (const g of stubborn) {
    if (!g || !isGroupAlive(g.pgid, 0)) continue;
    try {
      process.kill(-g.pgid, 'SIGKILL');
    } catch {}
  }
  if (strays.length > 0 && !(await waitEscapeesGone(strays, Math.max(0, deadline - Date.now())))) {
    signalEscapees(strays, 'SIGKILL');
    await waitEscapeesGone(strays, 1000);
  }
  // Nothing recorded (or no state directory at all, e.g. `down -c` of a config never run): nothing to clear.
  if (recorded.length > 0) writeGroups(stateDir, []);
  const names = new Set(orphans.map((g) => g.name));
  for (const r of recorded) if (r.escapees?.some((e) => strays.some((s) => s.pid === e.pid))) names.add(r.name);
  return [...names];
}
