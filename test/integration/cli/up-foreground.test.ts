import { randomUUID } from 'node:crypto';
import { spawn as spawnChild } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { spawn, type IPty } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, cli, killMarked, processesWithMarker, project } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// `corral up` in the foreground (the build, a real daemon in the CLI's process) with the components' output below the table.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

// eslint-disable-next-line no-control-regex
const FRAME = /\x1b\[1;1H\x1b\[2K(?:\x1b\[[0-9;]*m)*NAME/g;

/** The text of the last table frame drawn (from its first line to the next cursor restore). */
function lastFrame(raw: string): string {
  const starts = [...raw.matchAll(FRAME)];
  const from = starts.at(-1)?.index ?? -1;
  if (from < 0) return '';
  const end = raw.indexOf('\x1b8', from);
  // eslint-disable-next-line no-control-regex
  return raw.slice(from, end < 0 ? undefined : end).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '\n');
}

function config(marker: string, extra = ''): string {
  // `crasher` fails its first run (exit 3) and runs on after its restart.
  const crasher = `const f=require('fs');if(!f.existsSync('ran')){f.writeFileSync('ran','');console.log('first run');process.exit(3)}console.log('second run');setInterval(()=>{},1e9)`;
  return [
    'version: 1',
    'bus: { port: 0 }',
    'components:',
    '  talker:',
    `    command: ["node", "-e", "console.log('hello from talker'); setInterval(() => console.log('tick'), 300)"]`,
    `    env: { MARK: "${marker}" }`,
    '  crasher:',
    `    command: ["node", "-e", ${JSON.stringify(crasher)}]`,
    `    env: { MARK: "${marker}" }`,
    '    restart: { policy: on-failure, backoff: { initial: 100ms, max: 200ms } }',
    '  off:',
    '    command: ["sleep", "600"]',
    '    enabled: false',
    extra,
  ].join('\n');
}

function startUp(args: string[], dir: string, env: Record<string, string>): { term: IPty; raw: () => string; exited: Promise<number> } {
  const term: IPty = spawn(process.execPath, [bin, 'up', ...args], { cols: 110, rows: 40, cwd: dir, env: { ...process.env, TERM: 'xterm', ...env } as Record<string, string> });
  cleanups.push(() => {
    try {
      process.kill(term.pid, 'SIGKILL');
    } catch {}
  });
  let raw = '';
  term.onData((data) => (raw += data));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  return { term, raw: () => raw, exited };
}

describe('corral up in a terminal, with the output below the table', () => {
  it('interleaves coloured NAME | lines under the table, notes restarts in the log, shows a CFG001 until a valid reload, and ends on the final state', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker));
    cleanups.push(p.cleanup, () => killMarked(marker));
    // Colour on (NO_COLOR empty counts as unset).
    const up = startUp(['-c', p.config], p.dir, { NO_COLOR: '' });

    // The output region sits under the table (DECSTBM from the line under it to the bottom).
    await waitFor('the output region', () => /\x1b\[\d+;40r/.test(up.raw())); // eslint-disable-line no-control-regex
    // Each component's prefix in its own colour, the same on every line.
    await waitFor('talker output, prefixed', () => /\x1b\[(\d+)mtalker \x1b\[0m \| hello from talker/.test(up.raw())); // eslint-disable-line no-control-regex
    const talkerColor = /\x1b\[(\d+)mtalker \x1b\[0m \| /.exec(up.raw())![1]; // eslint-disable-line no-control-regex
    await waitFor('two ticks', () => [...up.raw().matchAll(/\x1b\[(\d+)mtalker \x1b\[0m \| tick/g)].length >= 2); // eslint-disable-line no-control-regex
    expect(new Set([...up.raw().matchAll(/\x1b\[(\d+)mtalker \x1b\[0m \| /g)].map((m) => m[1]))).toEqual(new Set([talkerColor])); // eslint-disable-line no-control-regex

    // The crash restart: a [corral] line in crasher's output, and in its log.
    await waitFor('the restart line', () => up.raw().includes('[corral] restarted (crashed: exit code 3)'));
    await waitFor('the second run', () => up.raw().includes('second run'));
    const logs = await cli(['logs', 'crasher', '-c', p.config], p.dir);
    expect(logs.stdout).toMatch(/first run[\s\S]*\[corral\] restarted \(crashed: exit code 3\)[\s\S]*second run/);

    // An invalid config on reload: a line under the table until a valid reload.
    writeFileSync(p.config, config(marker, '  broken:\n    command: 5\n'));
    expect((await cli(['reload', '-c', p.config], p.dir)).code).toBe(2);
    await waitFor('the CFG001 line under the table', () => /config invalid \(1 error; running config unchanged\) — corral validate/.test(lastFrame(up.raw())), { detail: () => lastFrame(up.raw()) });
    writeFileSync(p.config, config(marker));
    expect((await cli(['reload', '-c', p.config], p.dir)).code).toBe(0);
    await waitFor('the CFG001 line cleared', () => lastFrame(up.raw()) !== '' && !lastFrame(up.raw()).includes('config invalid'), { detail: () => lastFrame(up.raw()) });

    up.term.write('\x03');
    expect(await up.exited).toBe(0);
    const raw = up.raw();
    expect(raw).toContain('corral: stopped');
    // The frame drawn last is the final state: nothing stopping, the disabled entry still disabled.
    const final = lastFrame(raw.slice(0, raw.indexOf('corral: stopped')));
    expect(final).toMatch(/talker\s+process\s+(?:\x1b\[\d+m)?stopped/); // eslint-disable-line no-control-regex
    expect(final).toMatch(/off\s+process\s+(?:\x1b\[\d+m)?disabled/); // eslint-disable-line no-control-regex
    expect(final).not.toContain('stopping');
    expect(final).toContain('· stopped');
    // The scroll region is reset before the shell gets the terminal back.
    expect(raw.lastIndexOf('\x1b[r')).toBeGreaterThan(raw.lastIndexOf('talker'));
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('--no-logs shows the table alone', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker));
    cleanups.push(p.cleanup, () => killMarked(marker));
    const up = startUp(['--no-logs', '-c', p.config], p.dir, { NO_COLOR: '1' });
    await waitFor('a frame with talker running', () => /talker\s+process\s+running/.test(up.raw()));
    // Ticks are on their way to the log all along; none reaches the terminal.
    await waitFor('talker has logged', async () => (await cli(['logs', 'talker', '-c', p.config], p.dir)).stdout.includes('tick'));
    expect(up.raw()).not.toContain('| tick');
    expect(up.raw()).not.toMatch(/\x1b\[\d+;\d+r/); // eslint-disable-line no-control-regex
    up.term.write('\x03');
    expect(await up.exited).toBe(0);
  });

  it('not on a terminal: plain NAME | lines beside the event lines, no colour', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker));
    cleanups.push(p.cleanup, () => killMarked(marker));
    const env = { ...process.env } as Record<string, string>;
    delete env.NO_COLOR;
    const child = spawnChild(process.execPath, [bin, 'up', '-c', p.config], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor('talker output', () => /^talker +\| hello from talker$/m.test(out), { detail: () => out });
    await waitFor('the restart line', () => /^crasher +\| \[corral\] restarted \(crashed: exit code 3\)$/m.test(out), { detail: () => out });
    expect(out).toMatch(/component\.started talker/);
    expect(out).not.toContain('\x1b[');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
