import type { Logger } from '../plugins/types.js';
import type { GroupInfo } from '../supervisor/supervisor.js';
import { processStartTicks, writeGroups } from './groups.js';

/**
 * Keeps `groups.json` (the live process groups, so a later daemon can end
 * what this one left) in step with the supervisor. Twenty components
 * starting or stopping together make one write, not twenty (each reading
 * every leader's start time): the file is written on the next turn.
 */
export function createGroupRecorder(stateDir: string, logger: Logger) {
  let pending: GroupInfo[] | null = null;
  let last: GroupInfo[] = [];
  let timer: NodeJS.Immediate | null = null;
  /** Leader start times by pgid: read from /proc once per group, not on every write. */
  const startTicks = new Map<number, number | null>();

  const flush = () => {
    if (timer) clearImmediate(timer);
    timer = null;
    const groups = pending;
    pending = null;
    if (!groups) return;
    last = groups;
    const live = new Set(groups.map((g) => g.pgid));
    for (const pgid of startTicks.keys()) if (!live.has(pgid)) startTicks.delete(pgid);
    try {
      writeGroups(
        stateDir,
        groups.map((g) => {
          if (!startTicks.has(g.pgid)) startTicks.set(g.pgid, processStartTicks(g.pgid));
          return { name: g.name, pgid: g.pgid, start_ticks: startTicks.get(g.pgid) ?? null };
        }),
      );
    } catch (err) {
      logger.warn(`cannot write the process-group file: ${(err as Error).message}`);
    }
  };

  return {
    /** The supervisor's `onGroupsChanged`. */
    changed(groups: GroupInfo[]): void {
      pending = groups;
      timer ??= setImmediate(flush);
    },
    /** Writes the last groups again (the file was deleted with its state directory). */
    rewrite(): void {
      pending ??= last;
      flush();
    },
    /** At shutdown: an empty record when every component stopped, else what still runs. */
    finish(blocked: string[]): void {
      if (blocked.length > 0) return flush();
      if (timer) clearImmediate(timer);
      timer = null;
      pending = null;
      writeGroups(stateDir, []);
    },
  };
}
