import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, killMarked, processesWithMarker, project, ps } from '../daemon/helpers.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';

// Replicas of a tmux component: a window each, on the project's own tmux server.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const windows = (socket: string, session: string) =>
  (spawnSync('tmux', ['-L', socket, 'list-windows', '-t', `=${session}`, '-F', '#{window_name}'], { encoding: 'utf8' }).stdout ?? '')
    .trim()
    .split('\n')
    .filter(Boolean)
    .sort();

describe('replicas of a tmux component', () => {
  it('get a window each: the replica name, or the configured window name with the index', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const idle = `["node", "-e", "setInterval(() => {}, 1000)"]`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  agent:
    plugin: tmux
    session: work
    replicas: 2
    ready_after: 0s
    command: ${idle}
    env: { MARK: "${marker}" }
  shell:
    plugin: tmux
    session: work
    window: sh
    replicas: 2
    ready_after: 0s
    command: ${idle}
    env: { MARK: "${marker}" }
`);
    cleanups.push(() => killMarked(marker));
    cleanups.push(p.cleanup);
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    const names = ['agent-1', 'agent-2', 'shell-1', 'shell-2'];
    const list = await waitFor('four replicas running', () => ps(p.dir), (l) => names.every((n) => l.some((c) => c.name === n && c.state === 'running')));
    const attach = list.find((c) => c.attach?.kind === 'tmux')?.attach;
    const socket = attach?.kind === 'tmux' ? attach.socket : undefined;
    expect(socket).toBeTruthy();
    cleanups.unshift(() => killTestTmuxServer(socket!)); // runs last, after `down`
    expect(windows(socket!, 'work')).toEqual(['agent-1', 'agent-2', 'sh-1', 'sh-2']);
    expect(processesWithMarker(marker)).toHaveLength(4);
    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});
