import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { BusEntry } from '../../../src/bus/types.js';
import { daemonFor, type TestDaemon } from '../daemon/in-process.js';
import { recordingServer } from './servers.js';

let d: TestDaemon | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await d?.close();
  d = undefined;
  for (const c of closers.splice(0)) await c();
});

const payloadOf = (e: BusEntry) => e.event.payload as Record<string, unknown>;
const outcome = (type: string, rule: string) => (e: BusEntry) => e.event.event_type === type && payloadOf(e).rule === rule;
function emit(t: TestDaemon, type: string, component: string, extra: Record<string, unknown> = {}) {
  const r = t.daemon.bus.publish({ event_type: type, source: 'app', session_id: 's1', payload: { component, message: `${type} of ${component}`, ...extra } });
  if (!r.ok) throw new Error(r.error.error_message);
  return r.entry.event.id;
}

describe('notify: retries, a destination that is down, throttling, levels, reload', () => {
  it('a webhook that fails twice is retried with backoff (0.5 s, then 1 s) and sent on the third attempt', async () => {
    const hook = await recordingServer((n) => (n <= 2 ? 503 : 200));
    closers.push(hook.close);
    d = await daemonFor(`
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { on: app.alert, webhook: "${hook.url}/x", retry: 10s }
`);
    emit(d, 'app.alert', 'web');
    const sent = await d.waitFor('notify.sent', outcome('notify.sent', 'rule-0'));
    expect(payloadOf(sent).attempt).toBe(3);
    const [a, b, c] = hook.got.map((g) => g.at);
    expect(b! - a!).toBeGreaterThanOrEqual(450);
    expect(c! - b!).toBeGreaterThanOrEqual(950);
    expect(d.seen.some(outcome('notify.failed', 'rule-0'))).toBe(false);
  });

  it('a destination that is down is reported once (notify.failed after its retries), tried once per later event, and its recovery says how many failed meanwhile', async () => {
    let up = false;
    const hook = await recordingServer(() => (up ? 200 : 500));
    closers.push(hook.close);
    d = await daemonFor(`
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { name: pager, on: app.alert, webhook: "${hook.url}/x", every: 0s, retry: 1200ms }
`);
    const t0 = Date.now();
    emit(d, 'app.alert', 'a');
    const failed = await d.waitFor('notify.failed', outcome('notify.failed', 'pager'));
    // Attempts at 0, 0.5 s and 1.5 s would pass 1.2 s: two attempts, then the failure, once.
    expect(payloadOf(failed)).toMatchObject({ rule: 'pager', attempt: 2, error: expect.stringMatching(/HTTP 500/) as unknown });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    const before = hook.got.length;
    emit(d, 'app.alert', 'b');
    await hook.waitFor(before + 1);
    up = true;
    emit(d, 'app.alert', 'c');
    const sent = await d.waitFor('notify.sent', outcome('notify.sent', 'pager'));
    expect(payloadOf(sent)).toMatchObject({ component: 'c', failed_while_down: 1 });
    expect(hook.got.length).toBe(before + 2);
    expect(d.seen.filter(outcome('notify.failed', 'pager'))).toHaveLength(1);
  });

  it('`every` throttles per rule and component; the next outcome counts what was held back; `level` filters by alert_level', async () => {
    const hook = await recordingServer();
    const crit = await recordingServer();
    closers.push(hook.close, crit.close);
    d = await daemonFor(`
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { on: "app.*", webhook: "${hook.url}/x", every: 1h }
  - { name: crit, on: app.alert, level: critical, webhook: "${crit.url}/x" }
`);
    for (let i = 0; i < 5; i++) emit(d, 'app.alert', 'web', { alert_level: 'warning' });
    emit(d, 'app.alert', 'db', { alert_level: 'critical' });
    await d.waitFor('crit sent', outcome('notify.sent', 'crit'));
    const sentOf = () => d!.seen.filter(outcome('notify.sent', 'rule-0'));
    while (sentOf().length < 2) await d.waitFor('rule-0 sent', outcome('notify.sent', 'rule-0'), 10_000, d.seen.length);
    expect(sentOf().map((e) => payloadOf(e).component)).toEqual(['web', 'db']);
    // The four held back are counted once, in the first outcome after them.
    expect(sentOf().map((e) => payloadOf(e).throttled ?? 0)).toEqual([4, 0]);
    expect(crit.got).toHaveLength(1);
    expect(JSON.parse(crit.got[0]!.body)).toMatchObject({ component: 'db' });
  });

  it('rules apply on hot reload, and `notify test` through the API sends a sample', async () => {
    const one = await recordingServer();
    const two = await recordingServer();
    closers.push(one.close, two.close);
    d = await daemonFor(`
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { name: r, on: app.alert, webhook: "${one.url}/x", every: 0s }
`);
    emit(d, 'app.alert', 'a');
    await one.waitFor(1);
    writeFileSync(d.config, `
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { name: r, on: app.other, webhook: "${two.url}/x", every: 0s }
`);
    const r = await d.daemon.controller.reload();
    expect(r.ok).toBe(true);
    const changed = await d.waitFor('config.changed', (e) => e.event.event_type === 'config.changed');
    expect(payloadOf(changed).settings).toEqual(['notify']);
    const mark = d.seen.length;
    emit(d, 'app.alert', 'a');
    emit(d, 'app.other', 'b');
    await d.waitFor('sent to two', outcome('notify.sent', 'r'), 10_000, mark);
    expect(one.got).toHaveLength(1);
    expect(JSON.parse(two.got[0]!.body)).toMatchObject({ component: 'b', event_type: 'app.other' });

    const res = await fetch(`${d.daemon.server.url}/api/notify/test`, { method: 'POST', headers: { authorization: `Bearer ${readToken(d.dir)}` }, body: '{"rule":"r"}' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toEqual([{ rule: 'r', destination: `webhook ${two.url}/x`, ok: true, attempts: 1 }]);
    expect(JSON.parse(two.got[1]!.body)).toMatchObject({ title: 'corral: test of notify rule r' });
    const missing = await fetch(`${d.daemon.server.url}/api/notify/test`, { method: 'POST', headers: { authorization: `Bearer ${readToken(d.dir)}` }, body: '{"rule":"nope"}' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/no notify rule named "nope"; the rules are: r/);
  });
});

function readToken(dir: string): string {
  return readFileSync(`${dir}/.corral/token`, 'utf8').trim();
}
