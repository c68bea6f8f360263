import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, killMarked, processesWithMarker, project } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** /proc/PID/stat field 22 (start time in clock ticks), or null when the process is gone or a zombie. */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : Number(fields[19]);
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

interface Recorded {
  name: string;
  pgid: number;
  escapees?: Array<{ pid: number; start_ticks: number; leader: boolean }>;
}

describe('kill -9 of the daemon with a setsid descendant (issue 12, finding 7)', () => {
  it('records the escaped process, and the next up ends it: nothing of the component is left after up and down', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
components:
  escaper:
    command: ["sh", "-c", "setsid sleep 3001 & sleep 3002 & wait"]
    env: { MARK: "${marker}" }
`);
    cleanups.push(p.cleanup, () => killMarked(marker));

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const escaped = await waitFor('the setsid sleep to run', () => processesWithMarker(marker).filter((pid) => cmdline(pid) === 'sleep 3001'), (l) => l.length === 1);
    const pid = escaped[0]!;
    const ticks = startTicks(pid);
    expect(ticks).not.toBeNull();

    // The daemon finds it by walking the group's tree, and records it with its start time.
    const groupsFile = join(p.dir, '.corral', 'groups.json');
    const record = await waitFor(
      'the escapee in groups.json',
      () => JSON.parse(readFileSync(groupsFile, 'utf8')) as Recorded[],
      (groups) => groups.some((g) => g.escapees?.some((e) => e.pid === pid && e.start_ticks === ticks)),
    );
    expect(record.find((g) => g.name === 'escaper')!.escapees).toEqual([{ pid, start_ticks: ticks, leader: true }]);

    const daemon = (JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number }).pid;
    process.kill(daemon, 'SIGKILL');
    await waitFor('the daemon gone', () => startTicks(daemon), (t) => t === null);
    // The daemon's death ended nothing: the escapee still runs.
    expect(startTicks(pid)).toBe(ticks);

    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    // The new daemon ended what the dead one left, the escapee included (same pid, same start time: gone).
    await waitFor('the escapee gone', () => startTicks(pid), (t) => t !== ticks, 10_000);
    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(startTicks(pid) === ticks).toBe(false);
    expect(processesWithMarker(marker)).toEqual([]);
  }, 60_000);
});
