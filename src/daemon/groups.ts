import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { processStartTicks } from '../runners/process/group.js';
import { statePaths } from './paths.js';

export { processStartTicks };

/** A process group corral started, recorded so a later daemon can end it if this one dies. */
export interface GroupRecord {
  name: string;
  pgid: number;
  /** The leader's start time in clock ticks since boot (/proc/PID/stat field 22), to tell pid reuse apart. */
  start_ticks: number | null;
}

/** Writes the live groups atomically (write then rename), so a crash never leaves half a file. */
export function writeGroups(stateDir: string, groups: GroupRecord[]): void {
  const file = statePaths(stateDir).groups;
  writeFileSync(`${file}.tmp`, JSON.stringify(groups));
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

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a recorded group is still the one corral started. While any member
 * of a group lives, Linux does not hand its id to a new process, so a live
 * group whose leader is gone is still ours; a live leader must have the
 * recorded start time.
 */
function stillOurs(record: GroupRecord): boolean {
  if (!groupAlive(record.pgid)) return false;
  const ticks = processStartTicks(record.pgid);
  return ticks === null || record.start_ticks === null || ticks === record.start_ticks;
}

/**
 * Ends the process groups a dead daemon left behind: SIGTERM to each group,
 * then SIGKILL to whatever is left after `graceMs`. Returns the names ended.
 */
export async function endOrphanGroups(stateDir: string, graceMs = 3000): Promise<string[]> {
  const recorded = readGroups(stateDir);
  const orphans = recorded.filter(stillOurs);
  for (const g of orphans) {
    try {
      process.kill(-g.pgid, 'SIGTERM');
    } catch {}
  }
  const deadline = Date.now() + graceMs;
  while (orphans.some((g) => groupAlive(g.pgid)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  for (const g of orphans) {
    if (!groupAlive(g.pgid)) continue;
    try {
      process.kill(-g.pgid, 'SIGKILL');
    } catch {}
  }
  // Nothing recorded (or no state directory at all, e.g. `down -c` of a config never run): nothing to clear.
  if (recorded.length > 0) writeGroups(stateDir, []);
  return orphans.map((g) => g.name);
}
