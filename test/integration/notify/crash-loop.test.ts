import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonFor, is, type TestDaemon } from '../daemon/in-process.js';
import { fixtures } from '../daemon/helpers.js';
import { recordingServer } from './servers.js';

let d: TestDaemon | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await d?.close();
  d = undefined;
  for (const c of closers.splice(0)) await c();
});

describe('notify: every destination gets the crash loop of a real crashing component', () => {
  it('a webhook (with its headers), a Slack-shaped and an ntfy-shaped endpoint and a command each receive "corral: flaky failed"', async () => {
    const hook = await recordingServer();
    const slack = await recordingServer();
    const ntfy = await recordingServer();
    closers.push(hook.close, slack.close, ntfy.close);
    const out = join(process.env.TMPDIR ?? '/tmp', `corral-notify-${process.pid}-${Date.now()}.jsonl`);
    closers.push(async () => void (existsSync(out) && (await import('node:fs')).rmSync(out)));
    d = await daemonFor(`
bus: { port: 0 }
resources: { enabled: false }
notify:
  - name: hook
    on: error.CMP002
    webhook: ${hook.url}/alerts
    headers: { x-team: ops }
  - on: error.*
    slack: ${slack.url}/services/T/B/x
  - on: error.CMP002,resource.alert
    ntfy: ${ntfy.url}/corral-alerts
  - on: error.CMP002
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(fixtures, 'notify-record.js'))}, ${JSON.stringify(out)}, "{title}", "{message}", "{component}", "{event_type}", "literal {other}"]
components:
  flaky:
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(fixtures, 'crash-immediately.js'))}]
    restart: { backoff: { initial: 50ms, max: 100ms }, max_restarts: 2, window: 60s }
`);
    await d.waitFor('CMP002', is('error.CMP002', 'flaky'));
    const sent = [];
    for (const rule of ['hook', 'rule-1', 'rule-2', 'rule-3']) sent.push(await d.waitFor(`notify.sent of ${rule}`, (e) => e.event.event_type === 'notify.sent' && (e.event.payload as { rule: string }).rule === rule));
    expect(sent.map((e) => (e.event.payload as { attempt: number }).attempt)).toEqual([1, 1, 1, 1]);

    const w = JSON.parse(hook.got[0]!.body) as { title: string; message: string; component: string; event_type: string; event: { event_type: string } };
    expect(hook.got[0]!.path).toBe('/alerts');
    expect(hook.got[0]!.headers['x-team']).toBe('ops');
    expect(w.title).toBe('corral: flaky failed');
    expect(w.message).toMatch(/restarts/);
    expect(w.message.split('\n').length).toBeGreaterThan(1);
    expect(w).toMatchObject({ component: 'flaky', event_type: 'error.CMP002', event: { event_type: 'error.CMP002' } });

    const s = JSON.parse(slack.got[0]!.body) as { text: string };
    expect(s.text.startsWith('*corral: flaky failed*\n')).toBe(true);

    expect(ntfy.got[0]!.path).toBe('/corral-alerts');
    expect(ntfy.got[0]!.headers.title).toBe('corral: flaky failed');
    expect(ntfy.got[0]!.body).toBe(w.message);

    const line = JSON.parse(readFileSync(out, 'utf8').trim().split('\n')[0]!) as string[];
    expect(line).toEqual(['corral: flaky failed', w.message, 'flaky', 'error.CMP002', 'literal {other}']);
  });
});
