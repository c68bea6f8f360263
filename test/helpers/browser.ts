import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (CI installs it as it installs tmux: .ci/run), or CORRAL_CHROMIUM. */
export const CHROMIUM = process.env.CORRAL_CHROMIUM ?? '/usr/bin/chromium';

/** Launches the system's Chromium headless; playwright-core downloads nothing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CORRAL_CHROMIUM to a Chromium binary`);
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** What a page did that a test checks: console errors, uncaught errors, and every request and WebSocket it opened. */
export interface PageRecord {
  errors: string[];
  requests: string[];
}

export function record(page: Page): PageRecord {
  const rec: PageRecord = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') rec.errors.push(m.text());
  });
  page.on('pageerror', (e) => rec.errors.push(`uncaught: ${e.message}`));
  page.on('request', (r) => rec.requests.push(r.url()));
  page.on('websocket', (ws) => rec.requests.push(ws.url()));
  return rec;
}
