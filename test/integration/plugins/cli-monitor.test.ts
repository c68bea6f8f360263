import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginHarness } from './plugin-harness.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';

// The plugin runs `bin/corral.js monitor`, which needs the build (test/helpers/global-setup.ts builds it when stale).

let h: PluginHarness;
let socket = '';
afterEach(async () => {
  await h?.close();
  if (socket) killTestTmuxServer(socket);
});

describe('cli-monitor plugin', () => {
  it('runs corral monitor in a tmux window, which draws its screen and quits cleanly on stop', async () => {
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    h = new PluginHarness();
    const config = join(h.dir, 'corral.yaml');
    writeFileSync(config, 'version: 1\ncomponents: {}\n');
    const life = await h.lifecycle('monitor', { plugin: 'cli-monitor', mode: 'tmux', session: 'mon', socket, config_file: 'corral.yaml' });
    const inst = await h.start(life);
    expect(inst.attach).toMatchObject({ kind: 'tmux', session: 'mon' });
    const screen = () => spawnSync('tmux', ['-L', socket, 'capture-pane', '-p', '-t', '=mon:monitor'], { encoding: 'utf8' }).stdout ?? '';
    // No daemon runs for this config: the monitor still draws, and says so on its status line.
    await waitFor('the monitor screen', () => screen().includes('corral monitor') && screen().includes('NAME'));
    await waitFor('the status line saying no daemon', () => screen().includes('corral is not running'));
    const info = await inst.stop('SIGTERM', 5000);
    expect(info.killed ?? false).toBe(false);
  });
});
