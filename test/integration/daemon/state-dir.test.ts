import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, processesWithMarker, project, ps, running } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// Two configs in one directory share its `.corral/` unless one sets `state_dir:`: a command given
// the other config must refuse (exit 2) and leave the owning daemon alone.

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const config = (marker: string, name: string, extra = '') => `version: 1
bus: { port: 0 }
resources: { enabled: false }
${extra}components:
  ${name}:
    command: ["sleep", "300"]
    env: { MARK: "${marker}" }
    ready_after: 0s
`;

function daemonJson(dir: string, stateDir = '.corral'): { pid: number; port: number; config: string } {
  return JSON.parse(readFileSync(join(dir, stateDir, 'daemon.json'), 'utf8')) as { pid: number; port: number; config: string };
}

/** Two configs in one directory: corral.yaml (a) and b.yaml, each with its own marker. */
function twoConfigs(bExtra = '') {
  const markA = `corral-test-${randomUUID()}`;
  const markB = `corral-test-${randomUUID()}`;
  const p = project(config(markA, 'alpha'));
  const b = join(p.dir, 'b.yaml');
  writeFileSync(b, config(markB, 'beta', bExtra));
  cleanups.push(async () => {
    await cli(['down', '-c', 'b.yaml'], p.dir);
    await p.cleanup();
    expect(processesWithMarker(markA)).toEqual([]);
    expect(processesWithMarker(markB)).toEqual([]);
  });
  return { p, b, markA, markB };
}

describe('two configs in one directory', () => {
  it('commands given the other config refuse with exit 2 naming the owner and the fix; the owner is untouched', async () => {
    const { p, markB } = twoConfigs();
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const owner = daemonJson(p.dir);
    const [alpha] = await ps(p.dir);

    for (const args of [['ps'], ['down'], ['stop', 'alpha'], ['reload'], ['logs'], ['events'], ['emit', 'x.y'], ['up', '-d'], ['up']]) {
      const r = await cli([...args, '-c', 'b.yaml'], p.dir);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(`belongs to the corral daemon of corral.yaml (pid ${owner.pid}, http://127.0.0.1:${owner.port})`);
      expect(r.stderr).toContain('not b.yaml');
      expect(r.stderr).toContain('`state_dir: .corral-b`');
    }

    // a.yaml's daemon and component carry on as they were; b's component never ran.
    expect(running(owner.pid)).toBe(true);
    expect(daemonJson(p.dir)).toEqual(owner);
    const after = await ps(p.dir);
    expect(after.map((c) => [c.name, c.state, c.pid])).toEqual([['alpha', 'running', alpha!.pid]]);
    expect(processesWithMarker(markB)).toEqual([]);
  });

  it('with its own state_dir the second config runs beside the first, each command reaching its own daemon', async () => {
    const { p } = twoConfigs('state_dir: .corral-b\n');
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    expect((await cli(['up', '-d', '-c', 'b.yaml'], p.dir)).code).toBe(0);
    expect(daemonJson(p.dir, '.corral-b').pid).not.toBe(daemonJson(p.dir).pid);
    const b = await cli(['ps', '--json', '-c', 'b.yaml'], p.dir);
    expect(b.code).toBe(0);
    expect((JSON.parse(b.stdout) as { name: string }[]).map((c) => c.name)).toEqual(['beta']);
    expect((await ps(p.dir)).map((c) => c.name)).toEqual(['alpha']);
    expect((await cli(['down', '-c', 'b.yaml'], p.dir)).code).toBe(0);
    expect((await ps(p.dir)).map((c) => c.state)).toEqual(['running']);
  });

  it('a state dir left by the other config’s dead daemon is refused too, until `corral down` of that config releases it', async () => {
    const { p } = twoConfigs();
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const owner = daemonJson(p.dir);
    process.kill(owner.pid, 'SIGKILL');
    await waitFor('the daemon gone', () => running(owner.pid), (alive) => !alive);

    const refused = await cli(['up', '-d', '-c', 'b.yaml'], p.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`was last used by the corral daemon of corral.yaml (pid ${owner.pid}, no longer running)`);
    expect(refused.stderr).toContain('`corral down -c corral.yaml`');

    // Down of the owner ends what its daemon left and releases the directory.
    const down = await cli(['down'], p.dir);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('ended leftover components: alpha');
    expect((await cli(['up', '-d', '-c', 'b.yaml'], p.dir)).code).toBe(0);
    expect(daemonJson(p.dir).config).toBe(join(p.dir, 'b.yaml'));
    expect((await cli(['ps', '-c', 'b.yaml'], p.dir)).stdout).toContain('beta');
  });
});

describe('up -d and reload on a running daemon', () => {
  it('up -d again is idempotent: says it is already running (pid, url) and exits 0', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker, 'alpha'));
    cleanups.push(p.cleanup);
    const first = await cli(['up', '-d'], p.dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('1 component ready');
    const info = daemonJson(p.dir);
    const again = await cli(['up', '-d'], p.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`corral is already running for ${p.config} (pid ${info.pid}, http://127.0.0.1:${info.port})`);
    expect(again.stdout).toMatch(/alpha +process +running/);
    expect(daemonJson(p.dir)).toEqual(info);
  });

  it('plain foreground up on a running daemon says it runs, points to monitor and logs -f, and exits 0', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker, 'alpha'));
    cleanups.push(p.cleanup);
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const info = daemonJson(p.dir);
    const fg = await cli(['up'], p.dir);
    expect(fg.code, fg.stderr).toBe(0);
    expect(fg.stdout).toContain(`corral is already running for ${p.config} (pid ${info.pid}, http://127.0.0.1:${info.port})`);
    expect(fg.stdout).toContain('`corral monitor` shows it live, `corral logs -f` follows its output');
    expect(fg.stdout).toMatch(/alpha +process +running/);
    expect(fg.stderr).toBe('');
    expect(daemonJson(p.dir)).toEqual(info);
  });

  it('reload of an invalid config exits 2 printing every error with its line; nothing changes', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(config(marker, 'alpha'));
    cleanups.push(p.cleanup);
    expect((await cli(['up', '-d'], p.dir)).code).toBe(0);
    const [before] = await ps(p.dir);
    writeFileSync(
      p.config,
      `${config(marker, 'alpha')}    restrat: { policy: never }\n    restart: { backoff: { initial: 1m, max: 10s } }\n    env: { OTHER: "1" }\n`,
    );
    const r = await cli(['reload'], p.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('corral.yaml:9:5 components.alpha.restrat: unknown key "restrat"');
    expect(r.stderr).toContain('corral.yaml:10:36 components.alpha.restart.backoff.initial: initial (60s) must not be above max (10s)');
    expect(r.stderr).toContain('corral.yaml:11:5 components.alpha.env: duplicate key "env"');
    expect(r.stderr).toContain('corral reload: 3 errors in corral.yaml; the running config is unchanged');
    const [after] = await ps(p.dir);
    expect(after).toMatchObject({ name: 'alpha', state: 'running', pid: before!.pid, generation: before!.generation });
  });
});
