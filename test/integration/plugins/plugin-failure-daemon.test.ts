import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, processesWithMarker, project, ps, running } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// The same promise as plugin-loader.test.ts ("a plugin that throws or hangs puts
// its component in failed and never takes the daemon down"), kept by the real
// daemon: the built CLI, plugins loaded from the project's own plugins/ directory
// (a temp directory), and a plain process component beside them.

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

// Plain objects that quack like plugins: no import of corral or zod needed outside the package.
const ANY_KEYS = `configSchema: { safeParse: (v) => ({ success: true, data: v }) }`;

const THROWS = `export default {
  name: 'throws-at-setup',
  ${ANY_KEYS},
  create() {
    // A stray error from the plugin's own timer, after its setup failed: contained, not the daemon's end.
    setTimeout(() => { throw new Error('stray timer error from throws-at-setup'); }, 0);
    throw new Error('cannot find the frobnicator binary: install it with npm i -g frobnicator');
  },
};
`;

const HANGS = `export default {
  name: 'hangs-at-setup',
  setupTimeout: 300,
  ${ANY_KEYS},
  create() {
    return new Promise(() => {});
  },
};
`;

interface ErrorEvent {
  event_type: string;
  payload: { error_code: string; component: string; error_message: string };
}

describe('a plugin that throws or hangs in setup, under the real daemon', () => {
  it('fails its component with the reason, publishes CMP002, and the daemon and the other component run on', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
components:
  thrower:
    plugin: throws-at-setup
  hanger:
    plugin: ./plugins/hangs.mjs
  plain:
    command: ["sleep", "300"]
    env: { MARK: "${marker}" }
`);
    cleanups.push(p.cleanup);
    mkdirSync(join(p.dir, 'plugins'));
    writeFileSync(join(p.dir, 'plugins', 'throws-at-setup.mjs'), THROWS);
    writeFileSync(join(p.dir, 'plugins', 'hangs.mjs'), HANGS);

    // `up -d` waits for every component and names the two that did not come up.
    const up = await cli(['up', '-d', '--timeout', '30s'], p.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('not ready');
    expect(up.stderr).toContain('thrower');
    expect(up.stderr).toContain('hanger');

    const list = await waitFor('both plugin components failed and plain running', () => ps(p.dir), (l) =>
      l.find((c) => c.name === 'thrower')?.state === 'failed' &&
      l.find((c) => c.name === 'hanger')?.state === 'failed' &&
      l.find((c) => c.name === 'plain')?.state === 'running',
    );
    const byName = (n: string) => list.find((c) => c.name === n)!;
    expect(byName('thrower').reason).toBe(
      'plugin "throws-at-setup" (component "thrower") failed to set up: cannot find the frobnicator binary: install it with npm i -g frobnicator',
    );
    expect(byName('hanger').reason).toBe('plugin "hangs-at-setup" (component "hanger"): setup did not finish within 300 ms');
    expect(byName('thrower').pid).toBeNull();
    expect(byName('hanger').pid).toBeNull();
    const plainPid = byName('plain').pid!;
    expect(running(plainPid)).toBe(true);

    // Each failure is an ecosystem error (CMP002) in the history, with the plugin's reason.
    const errors = (await cli(['events', '--type', 'error.*', '--json'], p.dir)).stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ErrorEvent);
    const errorOf = (n: string) => errors.find((e) => e.payload.component === n);
    expect(errorOf('thrower')).toMatchObject({ event_type: 'error.CMP002', payload: { error_code: 'CMP002' } });
    expect(errorOf('thrower')!.payload.error_message).toContain('cannot find the frobnicator binary');
    expect(errorOf('hanger')).toMatchObject({ event_type: 'error.CMP002', payload: { error_code: 'CMP002' } });
    expect(errorOf('hanger')!.payload.error_message).toContain('plugin "hangs-at-setup" (component "hanger"): setup did not finish within 300 ms');
    const stopped = (await cli(['events', '--type', 'component.stopped', '--json'], p.dir)).stdout;
    expect(stopped).toMatch(/"component":"thrower"[^\n]*"reason":"failed"/);
    expect(stopped).toMatch(/"component":"hanger"[^\n]*"reason":"failed"/);

    // The daemon is still up and answers: its pid lives, /health answers, a command goes through.
    const daemon = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number; host: string; port: number };
    expect(running(daemon.pid)).toBe(true);
    const health = (await (await fetch(`http://${daemon.host}:${daemon.port}/health`)).json()) as { status: string; components: Record<string, string> };
    expect(health.status).toBe('ok');
    expect(health.components).toMatchObject({ thrower: 'failed', hanger: 'failed' });
    // The plugin's stray timer error was contained and logged, naming its plugin.
    await waitFor('the stray error in the daemon log', () => readFileSync(join(p.dir, '.corral', 'logs', 'corral.log'), 'utf8'), (s) =>
      s.includes('stray timer error from throws-at-setup'),
    );
    expect(readFileSync(join(p.dir, '.corral', 'logs', 'corral.log'), 'utf8')).toMatch(/uncaught exception in plugin "throws-at-setup" \(contained\)/);

    // A retry runs the setup again and fails the same way; the daemon carries on.
    const retry = await cli(['restart', 'thrower'], p.dir);
    expect(retry.code).toBe(1);
    expect((await ps(p.dir)).find((c) => c.name === 'thrower')).toMatchObject({ state: 'failed', generation: 2 });
    expect(running(daemon.pid)).toBe(true);

    const down = await cli(['down'], p.dir);
    expect(down.code).toBe(0);
    await waitFor('the daemon gone', () => running(daemon.pid), (alive) => !alive);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});
