import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, record } from '../../helpers/browser.js';
import { cli, project, ps } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';

// What the functions run inside the page use (this file is compiled without the DOM library).
declare const document: { querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null };
declare const sessionStorage: { getItem(key: string): string | null };

// The web dashboard in a real Chromium against a real daemon (the built CLI, port 0, a temp
// project). One daemon and one browser for the file; a fresh browser context per test.
// CORRAL_DASHBOARD_SCREENSHOTS=DIR also saves the screenshots the README and docs/dashboard.md show.

const CONFIG = `version: 1
bus: { port: 0 }
resources: { interval: 500ms }
components:
  shell:
    plugin: tmux
    ready_after: 0s
    command: ["sh", "-c", "while true; do sleep 1; done"]
  web:
    command: ["node", "-e", "require('http').createServer((q, s) => s.end('ok')).listen(0); setInterval(() => console.log('served', Date.now()), 700)"]
    ready_after: 0s
  worker:
    command: ["sh", "-c", "while true; do echo working; sleep 0.5; done"]
    resources: { memory: { warning: 1MB } }
    ready_after: 0s
  crasher:
    command: ["sh", "-c", "echo up; sleep 0.3; echo 'giving up' >&2; exit 3"]
    restart: { policy: on-failure, backoff: { initial: 200ms, max: 400ms }, max_restarts: 1000, window: 60s }
  api:
    replicas: 2
    command: ["sh", "-c", "while true; do sleep 1; done"]
    ready_after: 0s
`;

let p: ReturnType<typeof project>;
let browser: Browser | null = null;
let base = '';
let token = '';
let contexts: BrowserContext[] = [];
let tmuxSocket: string | undefined;

beforeAll(async () => {
  p = project(CONFIG);
  const up = await cli(['up', '-d'], p.dir);
  // The crasher never counts as ready: `up -d` names it and exits 1, the rest is up.
  expect([0, 1]).toContain(up.code);
  expect(up.stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\//);
  const info = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { port: number };
  base = `http://127.0.0.1:${info.port}`;
  token = readFileSync(join(p.dir, '.corral', 'token'), 'utf8').trim();
  const attach = (await ps(p.dir)).find((c) => c.name === 'shell')?.attach;
  tmuxSocket = attach?.kind === 'tmux' ? attach.socket : undefined;
  browser = await launchChromium();
}, 90_000);

afterEach(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  contexts = [];
});

afterAll(async () => {
  await browser?.close().catch(() => {});
  await p?.cleanup();
  if (tmuxSocket) killTestTmuxServer(tmuxSocket);
}, 60_000);

async function open(path: string, opts: { width?: number; height?: number; scheme?: 'dark' | 'light' } = {}): Promise<{ page: Page; rec: ReturnType<typeof record> }> {
  const context = await browser!.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 }, colorScheme: opts.scheme ?? 'dark' });
  contexts.push(context);
  const page = await context.newPage();
  const rec = record(page);
  await page.goto(`${base}${path}`);
  return { page, rec };
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await res.text();
  return res.status;
}

const row = (page: Page, name: string) => page.locator(`[data-testid=component-row][data-component="${name}"]`);

describe('the web dashboard in Chromium', () => {
  it('loads with no console error and no request off the machine, and shows every component with its state', async () => {
    const { page, rec } = await open('/');
    await row(page, 'worker').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=connection-status]')?.getAttribute('data-state') === 'live');
    for (const name of ['web', 'worker', 'crasher']) await expect(row(page, name).count()).resolves.toBe(1);
    await expect(row(page, 'worker').locator('[data-testid=component-state]').textContent()).resolves.toBe('running');
    await expect(row(page, 'web').locator('[data-testid=component-state]').textContent()).resolves.toBe('running');
    // The views fill in without being opened: history, alerts (worker is over its 1 MB warning) and the log.
    await page.locator('[data-testid=alert-row][data-event-type="resource.alert"]').first().waitFor();
    await page.locator('[data-testid=log-tail]', { hasText: 'served' }).waitFor();
    await page.locator('[data-testid=event-row]').first().waitFor();
    expect(rec.errors).toEqual([]);
    const offMachine = rec.requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith(base.replace('http:', 'ws:')) && !u.startsWith('data:'));
    expect(offMachine).toEqual([]);
    expect(rec.requests.some((u) => u.startsWith(`${base.replace('http:', 'ws:')}/events`))).toBe(true);
  });

  it('the log opens on the first component corral logs; a tmux one says its output is in its window', async () => {
    const { page } = await open('/');
    // shell (tmux) is first in the config: the log opens on web.
    await page.locator('[data-testid=log-tail]', { hasText: 'served' }).waitFor();
    await row(page, 'shell').click();
    const note = page.locator('[data-testid=log-note]');
    await note.waitFor();
    await expect(note.textContent()).resolves.toContain('its output is in its tmux window — corral attach shell');
    await expect(page.locator('[data-testid=log-tail]').textContent()).resolves.not.toContain('printed nothing');
  });

  it('replicas sit under their entry\u2019s name; event rows read as corral events prints them', async () => {
    const { page } = await open('/');
    const group = page.locator('[data-testid=replica-group][data-component="api"]');
    await group.waitFor();
    await expect(group.textContent()).resolves.toContain('2 replicas');
    // The header comes right before api-1, then api-2.
    const order = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-component')));
    expect(order.slice(order.indexOf('api'), order.indexOf('api') + 3)).toEqual(['api', 'api-1', 'api-2']);
    // This page's own connection: a ws.connected row in words, not JSON.
    const connected = page.locator('[data-testid=event-row][data-event-type="ws.connected"]').first();
    await connected.waitFor();
    const text = (await connected.textContent()) ?? '';
    expect(text).toMatch(/client \S+ from \S+ on \/events/);
    expect(text).not.toContain('{');
    // A crash: how it ended and the restart, not `reason=crashed`.
    const stopped = page.locator('[data-testid=event-row][data-event-type="component.stopped"]', { hasText: 'crasher' }).first();
    await stopped.waitFor();
    await expect(stopped.textContent()).resolves.toMatch(/crasher crashed \(exit code 3\)/);
  });

  it('an invalid config on disk shows a banner until a valid reload', async () => {
    const { page } = await open('/');
    await row(page, 'worker').waitFor();
    const good = readFileSync(p.config, 'utf8');
    try {
      writeFileSync(p.config, good.replace('  api:\n', '  broken:\n    command: ["sleep", 100]\n  api:\n'));
      expect((await cli(['reload'], p.dir)).code).toBe(2);
      const banner = page.locator('[data-testid=config-invalid]');
      await banner.waitFor();
      await expect(banner.textContent()).resolves.toMatch(/config invalid: 1 error — run corral validate/);
      // A page opened now finds it in the history.
      const later = await open('/');
      await later.page.locator('[data-testid=config-invalid]').waitFor();
    } finally {
      writeFileSync(p.config, good);
    }
    expect((await cli(['reload'], p.dir)).code).toBe(0);
    await page.locator('[data-testid=config-invalid]').waitFor({ state: 'detached' });
  });

  it('a crashing component\u2019s restart count rises live', async () => {
    const { page } = await open('/');
    const restarts = row(page, 'crasher').locator('[data-testid=component-restarts]');
    await restarts.waitFor();
    const before = Number(await restarts.textContent());
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid=component-row][data-component="crasher"] [data-testid=component-restarts]')?.textContent) >= n + 2,
      before,
      { timeout: 20_000 },
    );
  });

  it('a published event and a Claude Code hook appear: an event row, a session lane', async () => {
    const { page } = await open('/');
    await page.waitForFunction(() => document.querySelector('[data-testid=connection-status]')?.getAttribute('data-state') === 'live');
    expect(await post('/events', { event_type: 'dashboard.test.ping', source: 'browser-test', session_id: 's-1', payload: { n: 1 } })).toBe(202);
    const ping = page.locator('[data-testid=event-row][data-event-type="dashboard.test.ping"]');
    await ping.waitFor();
    // Its JSON on click.
    await ping.click();
    await expect(page.locator('[data-testid=event-json]').textContent()).resolves.toContain('"source": "browser-test"');

    const session = `sess-${Date.now()}`;
    expect(await post('/hooks/UserPromptSubmit', { session_id: session, hook_event_name: 'UserPromptSubmit', prompt: 'make the tests pass', cwd: '/home/me/app' })).toBe(202);
    expect(await post('/hooks/PreToolUse', { session_id: session, tool_name: 'Bash', tool_input: { command: 'npm test' }, tool_use_id: 'tu-1' })).toBe(202);
    expect(await post('/hooks/PostToolUse', { session_id: session, tool_name: 'Bash', tool_use_id: 'tu-1', tool_response: { is_error: true } })).toBe(202);
    const lane = page.locator(`[data-testid=session-lane][data-session="${session}"]`);
    await lane.waitFor();
    await lane.locator('.chip.prompt', { hasText: 'make the tests pass' }).waitFor();
    // PreToolUse and PostToolUse are one call, marked failed (once the PostToolUse is drawn: count() does not wait).
    await lane.locator('.chip.tool.failed', { hasText: 'Bash: npm test' }).waitFor();
    await expect(lane.locator('.chip.tool').count()).resolves.toBe(1);
  });

  it('without the token, control is disabled and refused', async () => {
    const { page } = await open('/');
    await row(page, 'worker').waitFor();
    const pid = (await ps(p.dir)).find((c) => c.name === 'worker')!.pid;
    for (const action of ['start', 'stop', 'restart']) {
      await expect(row(page, 'worker').locator(`[data-testid=component-${action}]`).isDisabled()).resolves.toBe(true);
    }
    await expect(page.locator('[data-testid=read-only]').textContent()).resolves.toContain('corral dashboard');
    const status = await page.evaluate(async () => (await fetch('/api/components/worker/restart', { method: 'POST' })).status);
    expect(status).toBe(401);
    expect((await ps(p.dir)).find((c) => c.name === 'worker')!.pid).toBe(pid);
  });

  it('`corral dashboard` gives the address with the token; the page moves it out of the URL and restarts a component with it', async () => {
    const printed = await cli(['dashboard', '--print'], p.dir);
    expect(printed.code).toBe(0);
    const url = printed.stdout.trim();
    expect(url).toBe(`${base}/#token=${token}`);

    const { page, rec } = await open(url.slice(base.length));
    await row(page, 'worker').waitFor();
    expect(page.url()).toBe(`${base}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('corral.token'))).toBe(token);
    await expect(page.locator('[data-testid=read-only]').count()).resolves.toBe(0);

    const before = (await ps(p.dir)).find((c) => c.name === 'worker')!.pid!;
    const restart = row(page, 'worker').locator('[data-testid=component-restart]');
    await expect(restart.isEnabled()).resolves.toBe(true);
    await restart.click();
    const after = await waitFor('worker restarted', () => ps(p.dir), (l) => {
      const w = l.find((c) => c.name === 'worker');
      return !!w && w.pid !== null && w.pid !== before && w.state === 'running';
    });
    const pid = String(after.find((c) => c.name === 'worker')!.pid);
    await page.waitForFunction((want) => document.querySelector('[data-testid=component-row][data-component="worker"] td.num.mono')?.textContent === want, pid);
    expect(rec.errors).toEqual([]);
    await saveScreenshots(page);
  });
});

/** The screenshots docs/dashboard.md and the README show (only when asked: CORRAL_DASHBOARD_SCREENSHOTS=docs/img). */
async function saveScreenshots(controlled: Page): Promise<void> {
  const dir = process.env.CORRAL_DASHBOARD_SCREENSHOTS;
  if (!dir) return;
  for (const [i, prompt] of ['add a health check to the router', 'why does the crasher keep exiting?'].entries()) {
    const session = `demo-session-${i + 1}-${Date.now().toString(36)}`;
    await post('/hooks/SessionStart', { session_id: session, source: 'startup', cwd: '/home/me/shop' });
    await post('/hooks/UserPromptSubmit', { session_id: session, prompt, cwd: '/home/me/shop' });
    for (const [n, [tool, input, failed]] of ([['Read', { file_path: 'src/router.ts' }, false], ['Bash', { command: 'npm test' }, i === 1], ['Edit', { file_path: 'src/health.ts' }, false]] as const).entries()) {
      await post('/hooks/PreToolUse', { session_id: session, tool_name: tool, tool_input: input, tool_use_id: `t${n}` });
      await post('/hooks/PostToolUse', { session_id: session, tool_name: tool, tool_use_id: `t${n}`, tool_response: failed ? { is_error: true } : { ok: true } });
    }
    await post('/hooks/Notification', { session_id: session, message: 'Claude needs your permission to use Bash' });
    await post('/hooks/Stop', { session_id: session });
  }
  // Past the restart's toast (3 s).
  await controlled.waitForTimeout(3500);
  await controlled.screenshot({ path: join(dir, 'dashboard-dark.png') });
  const light = await open('/', { scheme: 'light' });
  await row(light.page, 'worker').waitFor();
  await light.page.waitForTimeout(2500);
  await light.page.screenshot({ path: join(dir, 'dashboard-light.png') });
  const phone = await open('/', { width: 390, height: 844, scheme: 'dark' });
  await row(phone.page, 'worker').waitFor();
  await phone.page.waitForTimeout(2500);
  await phone.page.screenshot({ path: join(dir, 'dashboard-phone.png') });
}
