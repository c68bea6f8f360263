// The web dashboard under a firehose: Chromium (Debian's, driven by playwright-core) opens the
// page of a daemon that runs 20 components sampled every second while a client publishes
// 1,000 events/s for 30 s.
//
//   npm run build && node bench/dashboard.js [--seconds 30] [--rate 1000] [--components 20] [--baseline 10]
//
// Printed:
// - time to the first component row after navigation (performance.now() in the page when the
//   first `component-row` is in the DOM, the firehose already running);
// - publish → row lag: for every event row that appears (only the rows in view exist: the list is
//   virtualised), the time from the bench sending it to the row being in the DOM (one clock:
//   same machine), p50/p99/max;
// - long tasks over 50 ms (PerformanceObserver `longtask`) and frames later than 50 ms
//   (requestAnimationFrame gaps), over the run;
// - the page's JS heap after the run (after a forced GC, and before it);
// - the daemon's CPU: `baseline` s of the same firehose with no page, then the run with the page
//   open; the difference is what serving the page costs (its WebSocket subscriber, the
//   component polls, the log tail).
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';
import { cpuTicks, fmt, machine, printTable, sleep } from './lib.js';

/* global window, document, PerformanceObserver, MutationObserver, requestAnimationFrame -- PROBE and the evaluate callbacks run in the page */

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rate: { type: 'string', default: '1000' },
    components: { type: 'string', default: '20' },
    baseline: { type: 'string', default: '10' },
    chromium: { type: 'string', default: process.env.CORRAL_CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const COMPONENTS = Number(values.components);
const BASELINE = Number(values.baseline);
const TICK_MS = 10;
const HZ = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'corral.js');
if (!existsSync(join(root, 'dist', 'web', 'index.html'))) {
  console.error('bench/dashboard.js: the dashboard is not built: run `npm run build` first');
  process.exit(2);
}
if (!existsSync(values.chromium)) {
  console.error(`bench/dashboard.js: no Chromium at ${values.chromium} (apt-get install -y chromium, or --chromium PATH)`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'corral-bench-dashboard-'));
const components = Array.from({ length: COMPONENTS }, (_, i) => `  c${String(i + 1).padStart(2, '0')}:\n    command: ["sh", "-c", "while true; do echo tick; sleep 1; done"]\n`).join('');
writeFileSync(join(dir, 'corral.yaml'), `version: 1\nbus: { port: 0 }\nresources: { interval: 1s }\ncomponents:\n${components}`);

let browser = null;
function cleanup() {
  spawnSync(process.execPath, [bin, 'down'], { cwd: dir, stdio: 'ignore', timeout: 30_000 });
  rmSync(dir, { recursive: true, force: true });
}

/** The firehose: RATE events/s over one WebSocket, in messages of RATE/100 events every 10 ms. */
function firehose(url) {
  const ws = new WebSocket(`${url.replace('http:', 'ws:')}/events?event_type=none.at.all`);
  const sent = new Map();
  let n = 0;
  let timer = null;
  let started = 0;
  // As many as the rate says by now: a late timer (a loaded machine) sends more at its next turn.
  const tick = () => {
    const batch = [];
    const t = Date.now();
    const due = Math.floor(((t - started) / 1000) * RATE) - n;
    for (let i = 0; i < Math.min(due, RATE); i++) {
      n++;
      const id = randomUUID();
      sent.set(id, t);
      // One event in 20 a Claude Code hook of one of five sessions (they make session lanes), the rest plain.
      if (n % 20 === 0) {
        const session = `bench-session-${n % 5}`;
        batch.push({ id, event_type: n % 40 === 0 ? 'PreToolUse' : 'PostToolUse', hook_event_type: n % 40 === 0 ? 'PreToolUse' : 'PostToolUse', source: 'claude-code', source_app: 'bench', session_id: session, timestamp: t, payload: { tool_name: 'Bash', tool_input: { command: `echo ${n}` }, tool_use_id: `t${Math.floor(n / 40)}` } });
      } else batch.push({ id, event_type: 'bench.tick', source: 'bench', session_id: 'bench', timestamp: t, payload: { n } });
    }
    if (batch.length > 0) ws.send(JSON.stringify({ type: 'event', data: batch }));
  };
  return {
    sent,
    count: () => n,
    ready: new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    }),
    start() {
      started = Date.now();
      timer = setInterval(tick, TICK_MS);
    },
    stop() {
      clearInterval(timer);
      ws.close();
    },
  };
}

// Runs in the page before its own scripts: records the first component row, every event row's
// arrival, long tasks and late frames.
const PROBE = () => {
  const w = window;
  w.__bench = { firstRow: null, rows: [], longTasks: [], lateFrames: 0, frames: 0, maxFrameGap: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__bench.longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  let last = performance.now();
  const frame = (t) => {
    const gap = t - last;
    last = t;
    w.__bench.frames++;
    if (gap > 50) w.__bench.lateFrames++;
    if (gap > w.__bench.maxFrameGap) w.__bench.maxFrameGap = gap;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const watch = () => {
    new MutationObserver((records) => {
      const at = Date.now();
      for (const r of records) {
        for (const node of r.addedNodes) {
          if (node.nodeType !== 1) continue;
          if (w.__bench.firstRow === null && (node.matches('[data-testid=component-row]') || node.querySelector('[data-testid=component-row]'))) w.__bench.firstRow = performance.now();
          if (node.matches('[data-testid=event-row]')) w.__bench.rows.push([node.getAttribute('data-event-id'), at]);
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  };
  if (document.documentElement) watch();
  else document.addEventListener('readystatechange', watch, { once: true });
};

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

try {
  const up = spawnSync(process.execPath, [bin, 'up', '-d'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (up.status !== 0) throw new Error(`corral up -d failed: ${up.stderr}`);
  const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
  const base = `http://127.0.0.1:${info.port}`;
  console.log(`dashboard bench: ${COMPONENTS} components sampled every 1 s, ${RATE} events/s for ${SECONDS} s; ${machine()}`);

  const hose = firehose(base);
  await hose.ready;
  hose.start();
  await sleep(2000);
  // The daemon with the firehose and no page.
  const b0 = cpuTicks(info.pid);
  const bt = Date.now();
  await sleep(BASELINE * 1000);
  const baselineCpu = ((cpuTicks(info.pid) - b0) / HZ / ((Date.now() - bt) / 1000)) * 100;

  browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-precise-memory-info'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(PROBE);
  await page.goto(`${base}/`);
  await page.waitForSelector('[data-testid=component-row]');
  const firstRowWall = Date.now();
  // The window: from the first row on, SECONDS of firehose with the page open.
  const c0 = cpuTicks(info.pid);
  const t0 = Date.now();
  const sentBefore = hose.count();
  await sleep(SECONDS * 1000);
  const elapsed = (Date.now() - t0) / 1000;
  const withPageCpu = ((cpuTicks(info.pid) - c0) / HZ / elapsed) * 100;
  const sentDuring = hose.count() - sentBefore;
  hose.stop();
  await sleep(500);

  const probe = await page.evaluate(() => window.__bench);
  const cdp = await page.context().newCDPSession(page);
  const before = await cdp.send('Runtime.getHeapUsage');
  await cdp.send('HeapProfiler.collectGarbage');
  const after = await cdp.send('Runtime.getHeapUsage');
  const shown = await page.evaluate(() => document.querySelectorAll('[data-testid=event-row]').length);

  // Steady state: from 5 s after the first row (the page has read its history by then).
  const steadyFrom = t0 + 5000;
  const lags = [];
  const steadyLags = [];
  for (const [id, at] of probe.rows) {
    const t = hose.sent.get(id);
    if (t === undefined) continue;
    lags.push(at - t);
    if (t >= steadyFrom) steadyLags.push(at - t);
  }
  lags.sort((a, b) => a - b);
  steadyLags.sort((a, b) => a - b);
  const long = probe.longTasks.filter(([, d]) => d > 50);
  const steadyLong = long.filter(([start]) => start > probe.firstRow + 5000 + (t0 - firstRowWall));
  const runStart = long.length ? Math.min(...long.map(([s]) => s)) : 0;
  const mb = (n) => (n / 1024 / 1024).toFixed(1);
  printTable(
    `Dashboard under ${RATE} events/s, ${COMPONENTS} components (${SECONDS} s with the page open; machine shared with other work)`,
    ['measure', 'value', 'target'],
    [
      ['first component row after navigation', `${fmt(probe.firstRow)} ms`, '< 300 ms'],
      ['publish → row lag p50 / p99 / max', `${fmt(quantile(lags, 0.5))} / ${fmt(quantile(lags, 0.99))} / ${fmt(lags[lags.length - 1])} ms (${lags.length} rows seen)`, 'p99 < 250 ms'],
      ['  the same from 5 s on (steady state)', `${fmt(quantile(steadyLags, 0.5))} / ${fmt(quantile(steadyLags, 0.99))} / ${fmt(steadyLags[steadyLags.length - 1])} ms (${steadyLags.length} rows)`, ''],
      ['long tasks > 50 ms', `${long.length} (longest ${fmt(Math.max(0, ...long.map(([, d]) => d)))} ms${long.length ? `, first at ${fmt(runStart / 1000, 1)} s` : ''})`, 'none sustained'],
      ['  the same from 5 s on', `${steadyLong.length} (longest ${fmt(Math.max(0, ...steadyLong.map(([, d]) => d)))} ms, ${fmt(steadyLong.length / Math.max(1, elapsed - 5), 1)}/s)`, ''],
      ['frames later than 50 ms', `${probe.lateFrames} of ${probe.frames} (longest gap ${fmt(probe.maxFrameGap)} ms)`, ''],
      ['JS heap after the run (after GC / before)', `${mb(after.usedSize)} / ${mb(before.usedSize)} MB`, '< 100 MB'],
      ['daemon CPU: firehose alone → with the page', `${fmt(baselineCpu, 1)} % → ${fmt(withPageCpu, 1)} % of a core (${withPageCpu - baselineCpu >= 0 ? '+' : ''}${fmt(withPageCpu - baselineCpu, 1)})`, '+< 5 %'],
      ['events published while the page was open', `${sentDuring} in ${fmt(elapsed, 1)} s (${fmt(sentDuring / elapsed)} /s); rows in the DOM at the end: ${shown}`, ''],
    ],
  );
} catch (err) {
  console.error(`bench/dashboard.js: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  cleanup();
}
