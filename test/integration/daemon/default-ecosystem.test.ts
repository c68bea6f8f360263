import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, project, ps, repo, running } from './helpers.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { freePort } from '../../helpers/free-port.js';

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe('the default ecosystem (config/ecosystem.yaml)', () => {
  it.runIf(hasTmux)('comes up with nothing but the project, reports hand-made tmux windows, and down leaves nothing', async () => {
    const socket = `corral-test-${process.pid}-${Date.now()}`;
    // A port the kernel just handed out: a random one could be a port another test's socket holds.
    const port = await freePort();
    const p = project('');
    cleanups.push(p.cleanup);
    cleanups.push(() => killTestTmuxServer(socket));
    // The shipped file, moved to a private port, tmux socket and web port so it cannot meet a real corral.
    rmSync(p.config);
    mkdirSync(join(p.dir, 'config'));
    const config = join(p.dir, 'config', 'ecosystem.yaml');
    const text = readFileSync(join(repo, 'config', 'ecosystem.yaml'), 'utf8')
      .replace('port: 4000', 'port: 0')
      .replaceAll('cwd: ..', `cwd: ${repo}`)
      .replaceAll('-c config/ecosystem.yaml', `-c ${config}`)
      .replaceAll('8765', String(port))
      // flaky crashes after 8 s; `up -d` rightly calls a component that exited during its wait not ready, and a loaded CI machine can take that long.
      .replace('CRASH_AFTER_MS: 8000', 'CRASH_AFTER_MS: 120000')
      .replace('    session: corral\n', `    session: corral\n    socket: ${socket}\n`);
    writeFileSync(config, text);

    const up = await cli(['up', '-d', '--timeout', '45s'], p.dir, 60_000);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const list = await ps(p.dir);
    const enabled = list.filter((c) => c.state !== 'disabled');
    expect(enabled.map((c) => c.name).sort()).toEqual(['flaky', 'ticker', 'tmux', 'web', 'worker']);
    expect(list.find((c) => c.name === 'router')!.state).toBe('disabled');

    // The monitor runs in the session's first window.
    await waitFor('the monitor drawn in its tmux window', () => spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', 'corral:monitor']).stdout.toString(), (s) => s.includes('NAME'));

    // A window opened by hand is an event, from tmux itself.
    spawnSync('tmux', ['-L', socket, 'new-window', '-d', '-t', 'corral', '-n', 'by-hand']);
    await waitFor('tmux.window.changed for the new window', async () => (await cli(['events', '--type', 'tmux.*', '--json'], p.dir)).stdout, (s) => s.includes('"by-hand"'));

    // The ticker found the bus through CORRAL_URL and publishes.
    await waitFor('an example.tick event', async () => (await cli(['events', '--type', 'example.tick', '--json'], p.dir)).stdout, (s) => s.includes('example.tick'), 30_000);

    const pids = enabled.map((c) => c.pid).filter((x): x is number => x !== null);
    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(pids.filter(running)).toEqual([]);
    expect(spawnSync('tmux', ['-L', socket, 'has-session', '-t', 'corral']).status).not.toBe(0);
  });
});
