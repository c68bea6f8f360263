import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killMarked } from '../daemon/helpers.js';
import { daemonFor, is, type TestDaemon } from '../daemon/in-process.js';
import { waitFor } from '../../helpers/wait-for.js';

// `watch:` through a whole daemon, on real files: a saved file restarts the
// component and the restart says which; ignored and gitignored files do not.

let d: TestDaemon | null = null;
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await d?.close();
  d = null;
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Directories this process watches through inotify (libuv's watch descriptors). */
function inotifyWatches(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += (readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^inotify wd:/gm) ?? []).length;
    } catch {}
  }
  return n;
}

describe('watch', () => {
  it('restarts on a change to a watched file, naming it; ignore and .gitignore apply; stop closes the watcher', async () => {
    const marker = `corral-test-${randomUUID()}`;
    cleanups.push(() => killMarked(marker));
    const app = mkdtempSync(join(tmpdir(), 'corral-watch-'));
    cleanups.push(() => rmSync(app, { recursive: true, force: true }));
    for (const sub of ['src/lib', 'src/vendor', 'src/gen', 'node_modules/x']) mkdirSync(join(app, sub), { recursive: true });
    writeFileSync(join(app, 'src', 'a.js'), '1');
    writeFileSync(join(app, 'src', 'lib', 'b.js'), '1');
    writeFileSync(join(app, 'src', 'vendor', 'v.js'), '1');
    writeFileSync(join(app, 'src', '.gitignore'), 'gen/\n*.log\n');
    d = await daemonFor(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  web:
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    cwd: ${app}
    env: { MARK: "${marker}" }
    watch: { paths: ["src/**"], ignore: ["src/vendor/**", "node_modules/**"], debounce: 200ms }
`);
    await d.waitFor('web started', is('component.started', 'web'));
    await d.daemon.supervisor.watchReady('web');
    const firstPid = d.pidOf('web');

    // Ignored by `ignore`, by src/.gitignore (a directory and a pattern), and outside the paths: none restarts it.
    writeFileSync(join(app, 'src', 'vendor', 'v.js'), '2');
    writeFileSync(join(app, 'src', 'gen', 'out.js'), '2');
    writeFileSync(join(app, 'src', 'lib', 'debug.log'), '2');
    writeFileSync(join(app, 'node_modules', 'x', 'i.js'), '2');
    writeFileSync(join(app, 'src', 'a.js'), '2');
    const stopped = await d.waitFor('web stopped by a file change', is('component.stopped', 'web'));
    expect((stopped.event.payload as { cause?: string }).cause).toBe('file changed: src/a.js');
    const started = await d.waitFor('web started again', (e) => is('component.started', 'web')(e) && (e.event.payload as { pid: number }).pid !== firstPid);
    const secondPid = (started.event.payload as { pid: number }).pid;

    // A deeper file; and the earlier ignored writes brought no restart of their own.
    const mark = d.seen.length;
    writeFileSync(join(app, 'src', 'lib', 'b.js'), '2');
    const again = await d.waitFor('web stopped by b.js', is('component.stopped', 'web'), 20_000, mark);
    expect((again.event.payload as { cause?: string }).cause).toBe('file changed: src/lib/b.js');
    expect((again.event.payload as { pid: number }).pid).toBe(secondPid);
    expect(d.seen.filter(is('component.stopped', 'web'))).toHaveLength(2);
    await d.waitFor('web started a third time', is('component.started', 'web'), 20_000, mark);

    // Stopped by a user: its watcher is closed (its directories are no longer watched).
    const watching = inotifyWatches();
    await d.daemon.controller.stop('web');
    await waitFor('the watcher of web closed', inotifyWatches, (n) => n <= watching - 3);
    expect(d.daemon.controller.list().find((c) => c.name === 'web')!.state).toBe('stopped');
  });

  it('a reload that changes the paths watches the new ones; one that removes the component closes its watcher', async () => {
    const marker = `corral-test-${randomUUID()}`;
    cleanups.push(() => killMarked(marker));
    const app = mkdtempSync(join(tmpdir(), 'corral-watch-'));
    cleanups.push(() => rmSync(app, { recursive: true, force: true }));
    for (const sub of ['src/one', 'src/two', 'lib/three']) mkdirSync(join(app, sub), { recursive: true });
    const config = (watch: string | null) => `version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  other:
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    env: { MARK: "${marker}" }
${
  watch === null
    ? ''
    : `  web:
    command: ["node", "-e", "setInterval(() => {}, 1000)"]
    cwd: ${app}
    env: { MARK: "${marker}" }
    watch: { paths: ["${watch}"], debounce: 100ms }
`
}`;
    const baseline = inotifyWatches();
    d = await daemonFor(config('src/**'));
    await d.waitFor('web started', is('component.started', 'web'));
    await d.daemon.supervisor.watchReady('web');
    expect(inotifyWatches()).toBeGreaterThanOrEqual(baseline + 3);

    let mark = d.seen.length;
    writeFileSync(d.config, config('lib/**'));
    const changed = await d.waitFor('config.changed', is('config.changed'), 20_000, mark);
    expect(changed.event.payload).toMatchObject({ updated: ['web'], restarted: [] });
    // config.changed comes before the apply; reloads are serialised, so this one returns once that apply is done.
    await d.daemon.controller.reload();
    await d.daemon.supervisor.watchReady('web');
    writeFileSync(join(app, 'src', 'one', 'old.js'), '1');
    writeFileSync(join(app, 'lib', 'three', 'new.js'), '1');
    const stopped = await d.waitFor('web restarted by lib/', is('component.stopped', 'web'), 20_000, mark);
    expect((stopped.event.payload as { cause?: string }).cause).toBe('file changed: lib/three/new.js');
    await d.waitFor('web started again', is('component.started', 'web'), 20_000, d.seen.indexOf(stopped));

    const watching = inotifyWatches();
    mark = d.seen.length;
    writeFileSync(d.config, config(null));
    await d.waitFor('web removed', is('component.stopped', 'web'), 20_000, mark);
    await waitFor('the watcher of the removed web closed', inotifyWatches, (n) => n <= watching - 2);
  });
});
