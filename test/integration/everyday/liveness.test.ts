import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtures, killMarked, processesWithMarker } from '../daemon/helpers.js';
import { daemonFor, is, type TestDaemon } from '../daemon/in-process.js';
import { freePort } from '../../helpers/free-port.js';

// Liveness (`health.on_failure: restart`) through a whole daemon: a real HTTP
// server that is SIGSTOPped stops answering its probe, as a hung server does.

let d: TestDaemon | null = null;
let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await d?.close();
  d = null;
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const config = (marker: string, port: number, policy: string) => `version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  web:
    command: ["node", "${join(fixtures, 'http-server.js')}"]
    env: { MARK: "${marker}", PORT: "${port}" }
    health: { http: "http://127.0.0.1:${port}/health", interval: 150ms, timeout: 300ms, failures: 2, on_failure: restart }
    restart: { policy: ${policy}, backoff: { initial: 100ms, max: 1s } }
    stop: { timeout: 500ms }
`;

/** Setup that ends whatever the test left: SIGCONT first, so a stopped process can die of its SIGKILL at once. */
function guard(marker: string): void {
  cleanups.push(() => {
    for (const pid of processesWithMarker(marker)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {}
    }
    killMarked(marker);
  });
}

describe('health.on_failure: restart', () => {
  it('restarts a web server that stopped answering, with a new pid, and says why', async () => {
    const marker = `corral-test-${randomUUID()}`;
    guard(marker);
    d = await daemonFor(config(marker, await freePort(), 'on-failure'));
    await d.waitFor('web healthy', (e) => is('component.health', 'web')(e) && (e.event.payload as { status: string }).status === 'healthy');
    const pid = d.pidOf('web')!;
    expect(pid).toBeGreaterThan(0);
    const mark = d.seen.length;
    process.kill(pid, 'SIGSTOP');

    const stopped = await d.waitFor('web stopped by its failed health check', is('component.stopped', 'web'), 20_000, mark);
    const payload = stopped.event.payload as { cause?: string; pid: number; next_restart_in_ms: number | null; reason: string };
    expect(payload.pid).toBe(pid);
    expect(payload.cause).toMatch(/^health check failed \(.+\)$/);
    // The stopped server cannot act on SIGTERM: stop.timeout, then SIGKILL.
    expect(payload.reason).toBe('killed');
    expect(payload.next_restart_in_ms).toBeGreaterThanOrEqual(0);

    const started = await d.waitFor('web started again', is('component.started', 'web'), 20_000, mark);
    const newPid = (started.event.payload as { pid: number }).pid;
    expect(newPid).not.toBe(pid);
    await d.waitFor('web healthy again', (e) => is('component.health', 'web')(e) && (e.event.payload as { status: string }).status === 'healthy', 20_000, mark);
    const info = d.daemon.controller.list().find((c) => c.name === 'web')!;
    expect(info.restarts).toBe(1);
    expect(processesWithMarker(marker)).toEqual([newPid]);
  });

  it('restart.policy: never leaves it running and unhealthy (an alert, no restart)', async () => {
    const marker = `corral-test-${randomUUID()}`;
    guard(marker);
    d = await daemonFor(config(marker, await freePort(), 'never'));
    await d.waitFor('web healthy', (e) => is('component.health', 'web')(e) && (e.event.payload as { status: string }).status === 'healthy');
    const pid = d.pidOf('web')!;
    const mark = d.seen.length;
    process.kill(pid, 'SIGSTOP');
    await d.waitFor('web unhealthy', (e) => is('component.health', 'web')(e) && (e.event.payload as { status: string }).status === 'unhealthy', 20_000, mark);
    // A restart would have been queued when it turned unhealthy; once the queue is idle, none ran.
    await d.daemon.supervisor.component('web')!.idle();
    expect(d.seen.slice(mark).some(is('component.stopped', 'web'))).toBe(false);
    expect(d.pidOf('web')).toBe(pid);
    expect(d.daemon.controller.list().find((c) => c.name === 'web')!.state).toBe('unhealthy');
    process.kill(pid, 'SIGCONT');
  });
});
