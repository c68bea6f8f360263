import { randomUUID } from 'node:crypto';
import { spawn, type IPty } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, killMarked, processesWithMarker, project } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// `corral up` in the foreground runs from the build (test/helpers/global-setup.ts builds it when stale), in a real terminal.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('corral up in a terminal', () => {
  it('redraws its table from column 0, so the frames after the ^C echo are whole', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1\nbus: { port: 0 }\ncomponents:\n  idle:\n    command: ["sleep", "600"]\n    env: { MARK: "${marker}" }\n`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    const term: IPty = spawn(process.execPath, [bin, 'up', '--no-logs', '-c', p.config], { cols: 120, rows: 30, cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } as Record<string, string> });
    cleanups.push(() => {
      try {
        process.kill(term.pid, 'SIGKILL');
      } catch {}
    });
    let raw = '';
    term.onData((data) => (raw += data));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    await waitFor('a redrawn frame with idle running', () => /\x1b\[\d+A\x1b\[0JNAME[^\n]*\n\s*idle\s+process\s+running/.test(raw)); // eslint-disable-line no-control-regex

    term.write('\x03');
    expect(await exited).toBe(0);
    expect(raw).toContain('corral: stopped');
    // Every move up to redraw comes right after a carriage return: whatever the terminal echoed on
    // the line below the table (`^C`), the header is drawn from its first column.
    const ups = [...raw.matchAll(/(.)\x1b\[\d+A\x1b\[0J/gs)]; // eslint-disable-line no-control-regex
    expect(ups.length).toBeGreaterThan(0);
    expect(ups.filter((m) => m[1] !== '\r')).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});
