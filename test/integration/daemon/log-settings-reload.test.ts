import { existsSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonFor, is, type TestDaemon } from './in-process.js';
import { waitFor } from '../../helpers/wait-for.js';

// `logs:` is applied by a reload to the logs already open: the plugin host
// owns one log sink per component for its whole life, and a reload hands it
// the new limits. A component removed from the config has its log closed.

let d: TestDaemon | null = null;
afterEach(async () => {
  await d?.close();
  d = null;
});

// About 100 bytes of output every 10 ms.
const TALKER = `["sh", "-c", "while true; do echo talker-line-$$-0123456789012345678901234567890123456789012345678901234567890123456789; sleep 0.01; done"]`;
const config = (logs: string, components: string) => `version: 1\nresources: { enabled: false }\nlogs: ${logs}\ncomponents:\n${components}`;
const talker = (name: string) => `  ${name}:\n    command: ${TALKER}\n`;

describe('a reload applies logs: to the logs already open', () => {
  it('a smaller logs.max_size makes the running component rotate at the new size; a removed component leaves no log open', { timeout: 60_000 }, async () => {
    d = await daemonFor(config('{ max_size: 10MiB, max_files: 3 }', talker('talker') + talker('other')));
    const t = d;
    const logs = join(t.daemon.stateDir, 'logs');
    await t.waitFor('talker started', is('component.started', 'talker'));
    const pid = t.pidOf('talker');
    await waitFor('some output', () => (existsSync(join(logs, 'talker.log')) ? statSync(join(logs, 'talker.log')).size : 0), (n) => n > 2000);
    expect(existsSync(join(logs, 'talker.log.1'))).toBe(false);

    writeFileSync(t.config, config('{ max_size: 1KiB, max_files: 2 }', talker('talker')));
    const r = await t.daemon.controller.reload();
    expect(r.ok, r.message).toBe(true);
    const changed = await t.waitFor('config.changed', is('config.changed'));
    expect((changed.event.payload as { settings: string[] }).settings).toContain('logs');

    // The same process (a logs change restarts nothing), its log now rotating at 1 KiB, two files kept.
    await waitFor('talker.log to rotate', () => readdirSync(logs).filter((f) => f.startsWith('talker.log.')), (f) => f.length > 0);
    expect(t.pidOf('talker')).toBe(pid);
    await waitFor('a second rotation', () => sizeOf(join(logs, 'talker.log.1')), (n) => n > 0 && n <= 1024);
    // Two files kept (max_files 2). A rotation renames talker.log before it opens the next one, so talker.log may be missing for a moment.
    const files = readdirSync(logs).filter((f) => f.startsWith('talker.log'));
    expect(files).toContain('talker.log.1');
    expect(files.filter((f) => f !== 'talker.log' && f !== 'talker.log.1')).toEqual([]);

    // `other` left the config: its log file is closed (no open descriptor of the daemon points at it).
    await t.waitFor('other stopped', is('component.stopped', 'other'));
    const otherLog = join(logs, 'other.log');
    await waitFor('other.log closed', () => openBy(process.pid, otherLog), (open) => !open);
  });
});

/** Whether the process holds the file open (a /proc/PID/fd link resolves to it). */
function openBy(pid: number, file: string): boolean {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === file) return true;
    } catch {}
  }
  return false;
}

/** A file's size, 0 while it does not exist (a rotation renames it away for a moment). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
