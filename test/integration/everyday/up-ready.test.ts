import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, cli, killMarked, project, ps } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';

// `corral up -d NAME` on a running daemon, through the built CLI: an exit
// before this `up` asked (a crash an hour ago, before `corral restart`) does
// not make it "not ready"; a component still waiting for its probe, or
// pending on one that is, is waited for; only the selection is printed.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** `corral up ARGS` started in the background: its exit code and output once it ends. */
function upInBackground(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, 'up', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

describe('up -d readiness on a running daemon', () => {
  it('counts only exits after its own request, and waits for a probe and for what is pending on it', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project('version: 1\n');
    const go = join(p.dir, 'go');
    // slow: its first run exits 1; every later one idles. Healthy while the file `go` exists.
    const slow = `if (!require("fs").existsSync("crashed")) { require("fs").writeFileSync("crashed", ""); process.exit(1); } setInterval(() => {}, 1000)`;
    writeFileSync(
      p.config,
      `version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  slow:
    command: ["node", "-e", ${JSON.stringify(slow)}]
    env: { MARK: "${marker}" }
    restart: { backoff: { initial: 100ms } }
    health: { exec: ["test", "-f", "${go}"], interval: 200ms, failures: 1 }
  worker: { command: ["node", "-e", "setInterval(() => {}, 1000)"], env: { MARK: "${marker}" }, ready_after: 0s, depends_on: { slow: healthy } }
  other: { command: ["node", "-e", "setInterval(() => {}, 1000)"], env: { MARK: "${marker}" }, ready_after: 0s }
`,
    );
    writeFileSync(go, '');
    cleanups.push(p.cleanup, () => killMarked(marker));

    // The first up may see slow healthy before its first run exits, or the exit: either way, it has crashed once before what follows.
    await cli(['up', '-d'], p.dir);
    await waitFor('slow healthy after its crash restart', () => ps(p.dir), (cs) => {
      const s = cs.find((c) => c.name === 'slow');
      return s?.exits === 1 && s.last_exit === 'exit code 1' && s.state === 'healthy' && cs.find((c) => c.name === 'worker')?.state === 'running';
    });

    // Restarted by hand: the crash is history.
    expect((await cli(['restart', 'slow'], p.dir)).code).toBe(0);
    const again = await cli(['up', '-d', 'slow'], p.dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('ready: slow');
    // Only the selection's rows.
    expect(again.stdout).toMatch(/^\s*slow\b/m);
    expect(again.stdout).not.toMatch(/^\s*other\b/m);

    // down slow (and worker with it), then up -d slow: waits for its probe rather than giving up at once.
    expect((await cli(['down', 'slow'], p.dir)).code).toBe(0);
    rmSync(go);
    const slowUp = upInBackground(['-d', 'slow'], p.dir);
    const probing = (c: ComponentInfo | undefined) => c !== undefined && c.pid !== null && (c.state === 'running' || c.state === 'unhealthy');
    await waitFor('slow started, its probe failing', () => ps(p.dir), (cs) => probing(cs.find((c) => c.name === 'slow')));
    writeFileSync(go, '');
    const slowDone = await slowUp;
    expect(slowDone.code, slowDone.stderr).toBe(0);

    // up -d worker while slow waits for its probe: worker is pending, and waited for.
    expect((await cli(['down', 'slow'], p.dir)).code).toBe(0);
    rmSync(go);
    const workerUp = upInBackground(['-d', 'worker'], p.dir);
    await waitFor('worker pending on slow', () => ps(p.dir), (cs) => cs.find((c) => c.name === 'worker')?.state === 'pending' && probing(cs.find((c) => c.name === 'slow')));
    writeFileSync(go, '');
    const workerDone = await workerUp;
    expect(workerDone.code, workerDone.stderr).toBe(0);
    expect(workerDone.stdout).toContain('ready: slow, worker');
  });
});
