import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtures } from './helpers.js';
import { daemonFor, is, type TestDaemon } from './in-process.js';
import { waitFor } from '../../helpers/wait-for.js';

let d: TestDaemon | null = null;

/** Whether the process has installed a handler for SIGUSR2 (its SigCgt mask), so the signal grows it instead of ending it. */
function catchesSigusr2(pid: number): boolean {
  const m = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m !== null && (BigInt(`0x${m[1]}`) & (1n << 11n)) !== 0n;
}

async function whenCatching(pid: number): Promise<void> {
  await waitFor(`pid ${pid} to install its SIGUSR2 handler`, () => catchesSigusr2(pid));
}
afterEach(async () => {
  await d?.close();
  d = null;
});

describe('resource alerts through the daemon', () => {
  it('on_critical restarts count toward max_restarts: a component that goes critical again after its restart ends failed (CMP002)', async () => {
    d = await daemonFor(`version: 1
bus: { port: 0 }
resources: { interval: 200ms, samples: 2 }
components:
  hog:
    command: node ${join(fixtures, 'leak-memory.js')} 200
    restart: { max_restarts: 1, window: 60s }
    resources: { memory: { critical: 150MB }, on_critical: restart }
`);
    const level = (want: string) => (e: Parameters<ReturnType<typeof is>>[0]) => is('resource.alert', 'hog')(e) && (e.event.payload as { alert_level: string }).alert_level === want;
    const first = await d.waitFor('hog started', is('component.started', 'hog'));
    await whenCatching((first.event.payload as { pid: number }).pid);
    process.kill((first.event.payload as { pid: number }).pid, 'SIGUSR2'); // +200 MB: critical
    let mark = d.seen.length;
    const second = await d.waitFor('hog restarted', is('component.started', 'hog'), 20_000, mark);
    await d.waitFor('back to normal', level('info'), 20_000, mark);
    await whenCatching((second.event.payload as { pid: number }).pid);
    mark = d.seen.length;
    process.kill((second.event.payload as { pid: number }).pid, 'SIGUSR2'); // critical again
    const failed = await d.waitFor('CMP002', is('error.CMP002'), 20_000, mark);
    expect((failed.event.payload as { error_message: string }).error_message).toMatch(/^restart loop: more than 1 restart within 60 s \(last: on_critical restart: /);
    const stops = d.seen.filter(is('component.stopped', 'hog')).map((e) => (e.event.payload as { cause?: string }).cause);
    expect(stops).toHaveLength(2);
    expect(stops.every((c) => c?.startsWith('on_critical restart: '))).toBe(true);
    expect(d.seen.filter(is('component.started', 'hog'))).toHaveLength(2);
    expect(d.daemon.controller.list().find((c) => c.name === 'hog')?.state).toBe('failed');
  });

  it('a leaking component: exactly one warning, one critical (RES001), a graceful restart, then info', async () => {
    d = await daemonFor(`version: 1
bus: { port: 0 }
resources: { interval: 200ms, samples: 2 }
components:
  leak:
    command: node ${join(fixtures, 'leak-memory.js')} 160
    resources: { memory: { warning: 150MB, critical: 300MB }, on_critical: restart }
`);
    const started = await d.waitFor('leak started', is('component.started', 'leak'));
    const pid = (started.event.payload as { pid: number }).pid;
    const alerts = () => d!.seen.filter(is('resource.alert', 'leak')).map((e) => (e.event.payload as { alert_level: string }).alert_level);

    await whenCatching(pid);
    process.kill(pid, 'SIGUSR2'); // +160 MB: over warning
    await d.waitFor('warning', (e) => is('resource.alert', 'leak')(e) && (e.event.payload as { alert_level: string }).alert_level === 'warning');
    process.kill(pid, 'SIGUSR2'); // +160 MB more: over critical
    await d.waitFor('critical', (e) => is('resource.alert', 'leak')(e) && (e.event.payload as { alert_level: string }).alert_level === 'critical');
    const stopped = await d.waitFor('graceful stop', is('component.stopped', 'leak'));
    expect((stopped.event.payload as { reason: string }).reason).toBe('stopped');
    // And says why corral stopped it.
    expect((stopped.event.payload as { cause: string }).cause).toMatch(/^on_critical restart: .*critical/);
    await d.waitFor('restarted', (e) => is('component.started', 'leak')(e) && (e.event.payload as { generation: number }).generation === 2);
    await d.waitFor('info', (e) => is('resource.alert', 'leak')(e) && (e.event.payload as { alert_level: string }).alert_level === 'info');

    // "Exactly" holds after the info too: more passes than an alert needs (samples: 2) raise
    // nothing new and restart nothing.
    await d.waitForSamples('leak', 3, d.samples.length);
    expect(alerts()).toEqual(['warning', 'critical', 'info']);
    expect(d.seen.filter((e) => is('error.RES001')(e) && (e.event.payload as { component: string }).component === 'leak')).toHaveLength(1);
    expect(d.seen.filter(is('component.stopped', 'leak'))).toHaveLength(1);
    expect(d.seen.filter(is('component.started', 'leak')).map((e) => (e.event.payload as { generation: number }).generation)).toEqual([1, 2]);
  });
});
