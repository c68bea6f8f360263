import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { launchChromium, record } from '../../helpers/browser.js';
import { startNatsServer, stopAllNatsServers } from '../../helpers/nats-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startHost, testEvent, waitForState } from '../federation/helpers.js';

// The dashboard of a federated daemon in a real Chromium: two daemons (hosts a
// and b) and one nats-server, as test/integration/federation/exchange.test.ts
// runs them. An event from host a shows on b's page as `source@a`, the event
// filter takes a host, and the hosts section lists both hosts.

let cleanups: Array<() => Promise<void> | void> = [];
let browser: Browser | null = null;
afterEach(async () => {
  await browser?.close().catch(() => {});
  browser = null;
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
  await stopAllNatsServers();
}, 120_000);

describe('the dashboard of a federated daemon', () => {
  it('shows source@host on a forwarded event, filters by host, and lists the hosts', { timeout: 180_000 }, async () => {
    const marker = `corral-test-${randomUUID()}`;
    const run = randomUUID();
    const nats = await startNatsServer({ marker });
    cleanups.push(() => nats.cleanup());
    const a = await startHost({ host: 'a', nats: nats.url, marker, cleanups });
    const b = await startHost({ host: 'b', nats: nats.url, marker, cleanups });
    await waitForState(a, 'connected');
    await waitForState(b, 'connected');

    browser = await launchChromium();
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const rec = record(page);
    const token = readFileSync(join(b.dir, '.corral', 'token'), 'utf8').trim();
    await page.goto(`${b.url}/#token=${token}`);

    // Live: a's event reaches b's page, marked with its host.
    const [id] = await a.post([testEvent('a', 0, run)]);
    const remote = page.locator(`[data-testid=event-row][data-event-id="${id}"]`);
    await remote.waitFor({ timeout: 60_000 });
    expect(await remote.getAttribute('data-host')).toBe('a');
    expect(await remote.locator('.esource').textContent()).toBe('fed-test@a');

    // The filter takes a host: b's own events go, a's stays.
    const [own] = await b.post([testEvent('b', 1, run)]);
    await page.locator(`[data-testid=event-row][data-event-id="${own}"]`).waitFor();
    await page.fill('input[name=host]', 'a');
    await page.click('form.filters button[type=submit]');
    await waitFor('the host filter to leave a\'s events only', () => page.locator('[data-testid=event-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-host'))), (hosts) => hosts.length > 0 && hosts.every((h) => h === 'a'), 30_000);
    expect(await remote.isVisible()).toBe(true);

    // The hosts section: both hosts, each with its one component.
    const hostRow = (h: string) => page.locator(`[data-testid=host-row][data-host="${h}"]`);
    await hostRow('a').waitFor({ timeout: 60_000 });
    await hostRow('b').waitFor();
    expect(await hostRow('b').textContent()).toContain('this host');
    expect(await hostRow('a').textContent()).toMatch(/1 running/);
    expect(rec.errors).toEqual([]);
  });
});
