import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupRecorder, endOrphanGroups, readGroups, writeGroups } from '../../../src/daemon/groups.js';
import { runProcess } from '../../../src/runners/process/index.js';
import type { Instance } from '../../../src/runners/types.js';
import { childrenOf, isProcessRunning, newProcStat, processStartTicks, readProcStat } from '../../../src/util/proc.js';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
let dir: string;
const started: Instance[] = [];
const pids: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-groups-'));
  mkdirSync(dir, { recursive: true });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((i) => i.stop('SIGKILL', 1000)));
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A group whose shell starts one `setsid sleep` and waits; resolves with the group and the escaped pid. */
async function groupWithEscapee(): Promise<{ instance: Instance; escaped: number }> {
  const instance = await runProcess({ name: 'esc', command: ['sh', '-c', 'setsid sleep 1000 & wait'] });
  started.push(instance);
  const deadline = Date.now() + 5000;
  for (;;) {
    const kids = childrenOf(instance.pid!);
    if (kids.length === 1 && processStartTicks(kids[0]!) !== null && readGroupOf(kids[0]!) === kids[0]) {
      pids.push(kids[0]!);
      return { instance, escaped: kids[0]! };
    }
    if (Date.now() > deadline) throw new Error('the setsid child did not appear');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function readGroupOf(pid: number): number | null {
  const stat = newProcStat();
  return readProcStat(pid, stat) ? stat.pgid : null;
}

describe('the process-group record', () => {
  it('records a group’s setsid escapee with its start time when walked, and drops it once it is gone', async () => {
    const { instance, escaped } = await groupWithEscapee();
    const rec = createGroupRecorder(dir, logger, 1e9);
    rec.set([{ name: 'esc', pgid: instance.pid! }]);
    expect(rec.walk()).toBe(true);
    expect(readGroups(dir)).toEqual([
      { name: 'esc', pgid: instance.pid!, start_ticks: processStartTicks(instance.pid!), escapees: [{ pid: escaped, start_ticks: processStartTicks(escaped), leader: true }] },
    ]);
    expect(rec.walk()).toBe(false);
    process.kill(escaped, 'SIGKILL');
    await expect.poll(() => isProcessRunning(escaped)).toBe(false);
    expect(rec.walk()).toBe(true);
    expect(readGroups(dir)[0]!.escapees).toBeUndefined();
    rec.close(true);
    expect(readGroups(dir)).toEqual([]);
  });

  it('the next daemon ends a recorded escapee, but not a process that has its pid with another start time', async () => {
    const { instance, escaped } = await groupWithEscapee();
    const other = spawn('sleep', ['1000'], { stdio: 'ignore' });
    pids.push(other.pid!);
    const ticks = processStartTicks(escaped)!;
    writeGroups(dir, [
      { name: 'esc', pgid: instance.pid!, start_ticks: processStartTicks(instance.pid!), escapees: [{ pid: escaped, start_ticks: ticks, leader: true }] },
      // A pid reused since it was recorded: the start time differs, so it is left alone.
      { name: 'gone', pgid: 999_999, start_ticks: 1, escapees: [{ pid: other.pid!, start_ticks: processStartTicks(other.pid!)! + 1, leader: false }] },
    ]);
    const ended = await endOrphanGroups(dir, 2000);
    expect(ended).toEqual(['esc']);
    expect(isProcessRunning(escaped)).toBe(false);
    expect(isProcessRunning(instance.pid!)).toBe(false);
    expect(isProcessRunning(other.pid!)).toBe(true);
    expect(readGroups(dir)).toEqual([]);
  });
});
