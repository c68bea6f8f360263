// The dashboard's first view, old build against new, side by side: how long after navigation
// the first component row is in the DOM, and where that time goes.
//
//   npm run build && node bench/dashboard-first.js [--old DIR] [--runs 15] [--rate 1000] [--components 20]
//
// One daemon per build (this checkout, and --old DIR: another checkout, built), each with
// --components components sampled every second. Rounds alternate between the builds; in each,
// the build's daemon gets the firehose of bench/dashboard.js (--rate events/s over one
// WebSocket; 0 for none) for 1 s before and during a cold load of its page (a new browser
// context: no cache), in Chromium (Debian's, driven by playwright-core). Per load, from the
// page's Navigation and Resource Timing and a MutationObserver:
//   html      the document's responseEnd;
//   css, script  responseEnd of the stylesheet and the script index.html names (not the chunks
//             loaded later);
//   first table read  responseEnd of the first GET /dashboard/components (in a page that
//             carries the table, the read of the samples after the first render);
//   js runs, rendered, table read  the page's performance marks (web/src/main.tsx): its script
//             starts, the first render() is done, the table is in the page's model;
//   first row the first `component-row` in the DOM (the figure bench/dashboard.js prints);
//   first paint  first-contentful-paint;
//   complete  the load event (`loadEventEnd`): when the page stops loading.
// Medians over --runs loads per build, and new/old ratios. Every process the bench starts is
// ended, and the temp dirs removed, on errors too.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { fmt, loadAverage, machine, median, otherLoad, printTable, sleep } from './lib.js';

/* global window, document, location, MutationObserver -- PROBE and the evaluate callbacks run in the page */

const { values } = parseArgs({
  options: {
    old: { type: 'string' },
    runs: { type: 'string', default: '15' },
    rate: { type: 'string', default: '1000' },
    components: { type: 'string', default: '20' },
    chromium: { type: 'string', default: process.env.CORRAL_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const RUNS = Number(values.runs);
const RATE = Number(values.rate);
const COMPONENTS = Number(values.components);
const root = resolve(import.meta.dirname, '..');
const builds = [{ label: 'this build', root }];
if (values.old) builds.unshift({ label: `--old ${values.old}`, root: resolve(values.old) });
for (const b of builds) {
  if (!existsSync(join(b.root, 'dist', 'web', 'index.html'))) {
    console.error(`bench/dashboard-first.js: ${b.root}: the dashboard is not built: run \`npm run build\` there first`);
    process.exit(2);
  }
}
if (!existsSync(values.chromium)) {
  console.error(`bench/dashboard-first.js: no Chromium at ${values.chromium} (apt-get install -y chromium, or --chromium PATH)`);
  process.exit(2);
}

const components = Array.from({ length: COMPONENTS }, (_, i) => `  c${String(i + 1).padStart(2, '0')}:\n    command: ["sh", "-c", "while true; do echo tick; sleep 1; done"]\n`).join('');

/** RATE events/s over one WebSocket, in messages of RATE/100 every 10 ms (as bench/dashboard.js). */
function firehose(base) {
  const ws = new WebSocket(`${base.replace('http:', 'ws:')}/events?event_type=none.at.all`);
  let n = 0;
  let timer = null;
  return {
    ready: new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    }),
    start() {
      const started = Date.now();
      timer = setInterval(() => {
        const due = Math.floor(((Date.now() - started) / 1000) * RATE) - n;
        const batch = [];
        for (let i = 0; i < Math.min(due, RATE); i++, n++) batch.push({ id: randomUUID(), event_type: 'bench.tick', source: 'bench', session_id: 'bench', timestamp: Date.now(), payload: { n } });
        if (batch.length) ws.send(JSON.stringify({ type: 'event', data: batch }));
      }, 10);
    },
    stop() {
      clearInterval(timer);
    },
    close() {
      clearInterval(timer);
      ws.close();
    },
  };
}

const PROBE = () => {
  window.__first = null;
  const watch = () =>
    new MutationObserver(() => {
      if (window.__first === null && document.querySelector('[data-testid=component-row]')) window.__first = performance.now();
    }).observe(document.documentElement, { childList: true, subtree: true });
  if (document.documentElement) watch();
  else document.addEventListener('readystatechange', watch, { once: true });
};

const started = [];
let browser = null;
const load = otherLoad();
try {
  console.log(`dashboard first view: ${COMPONENTS} components sampled every 1 s, ${RATE} events/s while a page loads; ${machine()}; load average ${loadAverage()}`);
  for (const b of builds) {
    b.dir = mkdtempSync(join(tmpdir(), 'corral-bench-first-'));
    writeFileSync(join(b.dir, 'corral.yaml'), `version: 1\nbus: { port: 0 }\nresources: { interval: 1s }\ncomponents:\n${components}`);
    const up = spawnSync(process.execPath, [join(b.root, 'bin', 'corral.js'), 'up', '-d'], { cwd: b.dir, encoding: 'utf8', timeout: 120_000 });
    started.push(b);
    if (up.status !== 0) throw new Error(`${b.label}: corral up -d failed: ${up.stderr}`);
    const info = JSON.parse(readFileSync(join(b.dir, '.corral', 'daemon.json'), 'utf8'));
    b.base = `http://127.0.0.1:${info.port}`;
    b.pid = info.pid;
    b.hose = RATE > 0 ? firehose(b.base) : null;
    await b.hose?.ready;
    b.loads = [];
  }
  browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  await sleep(3000); // the components are up and sampled once
  for (let round = 0; round < RUNS + 1; round++) {
    for (const b of round % 2 ? builds : [...builds].reverse()) {
      b.hose?.start();
      await sleep(1000);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.addInitScript(PROBE);
      await page.goto(`${b.base}/`);
      await page.waitForSelector('[data-testid=component-row]');
      await page.waitForLoadState('load');
      const m = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const res = performance.getEntriesByType('resource');
        // The page's own script and stylesheet (those index.html names), not the chunks loaded later.
        const linked = (sel, attr) => [...document.querySelectorAll(sel)].map((e) => new URL(e.getAttribute(attr), location.href).href);
        const end = (urls) => {
          const ends = res.filter((r) => urls.includes(r.name)).map((r) => r.responseEnd);
          return ends.length ? Math.max(...ends) : NaN;
        };
        const data = res.find((r) => r.name.includes('/dashboard/components'));
        return {
          html: nav.responseEnd,
          script: end(linked('script[src]', 'src')),
          css: end(linked('link[rel=stylesheet]', 'href')),
          data: data ? data.responseEnd : NaN,
          first: window.__first,
          complete: nav.loadEventEnd,
          main: performance.getEntriesByName('corral:main')[0]?.startTime ?? NaN,
          rendered: performance.getEntriesByName('corral:rendered')[0]?.startTime ?? NaN,
          dataIn: performance.getEntriesByName('corral:data')[0]?.startTime ?? NaN,
          fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
          bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        };
      });
      b.hose?.stop();
      await context.close();
      if (round > 0) b.loads.push(m); // the first round warms the daemons and the browser
    }
  }
  const cols = ['html', 'css', 'script', 'data', 'main', 'rendered', 'dataIn', 'first', 'fcp', 'complete'];
  const med = (b, k) => median(b.loads.map((l) => l[k]));
  const rows = builds.map((b) => [b.label, ...cols.map((k) => fmt(med(b, k))), fmt(median(b.loads.map((l) => l.bytes)) / 1024, 1)]);
  if (builds.length === 2) rows.push(['this / old', ...cols.map((k) => fmt(med(builds[1], k) / med(builds[0], k), 2)), fmt(median(builds[1].loads.map((l) => l.bytes)) / median(builds[0].loads.map((l) => l.bytes)), 2)]);
  printTable(`First view, ms after navigation (median of ${RUNS} cold loads per build, interleaved)`, ['build', 'html', 'css', 'script', 'first table read', 'js runs', 'rendered', 'table read', 'first row', 'first paint', 'load event', 'KB transferred'], rows);
  console.log('target: first row < 300 ms');
  console.log(`load average at the end ${loadAverage()}; ${load.top(5, [process.pid, ...builds.map((b) => b.pid)])}`);
} catch (err) {
  console.error(`bench/dashboard-first.js: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  for (const b of started) {
    b.hose?.close();
    spawnSync(process.execPath, [join(b.root, 'bin', 'corral.js'), 'down'], { cwd: b.dir, stdio: 'ignore', timeout: 60_000 });
    rmSync(b.dir, { recursive: true, force: true });
  }
}
