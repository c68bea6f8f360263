// Hostile local clients against a real daemon, each side by side with a normal client.
//
//   npx tsc -p tsconfig.build.json && node bench/hostile.js [--cases e,a,b,c,d] [--seconds 15]
//       [--build DIR] [--repeat 1] [--prefill-mb 200] [--rate 50] [--rss-cap 2048]
//
// A daemon is started with the built CLI (`corral up -d`, `bus: { port: 0 }`,
// two small components, a temp state dir) afresh for every case, over one
// event store that is first filled with --prefill-mb of ~50 KB events (only
// when case a runs; it is what a replay sends). While a case's load runs for
// --seconds, bench/hostile-probe.js (its own process, connecting from
// 127.0.0.2) publishes --rate small events/s with POST /events, counts those
// its subscriber receives, and sends GET /health every 50 ms without waiting
// for the one before (a frozen daemon shows as many slow answers); this
// process samples the daemon's VmRSS every 100 ms and reads its VmHWM (reset
// through /proc/PID/clear_refs when the load starts). The cases:
//   e  baseline: the normal clients alone
//   a  20 clients ask for a replay (`/events?after=1`, the whole store) and never read
//   b  8 concurrent 30 MiB `POST /hooks/PostToolUse` bodies, in waves (at most 4)
//   c  1 MB events of repeated `-----BEGIN PRIVATE KEY-----` (redaction), one at a time (at most 100)
//   d  a 5,000-term event_type filter, every second: a WebSocket upgrade carrying it, one
//      carrying as many terms as fit in Node's 16 KiB request head, and a `subscribe` message
// Targets: peak RSS < 300 MB, /health p99 < 100 ms, and delivery: every event the
// normal publisher meant to send acknowledged and received by its subscriber.
// After the load, the bench waits (up to a minute) for /health to answer again
// and says how long that took. A daemon that dies during a case is reported as
// such (with the line of its log that says why) and the next case starts a new
// one. So that the shared machine never runs out of memory, a daemon past
// --rss-cap MB is killed by the bench and reported as killed. RSS figures are
// MB (10^6 bytes). --build DIR runs every case against another checkout's
// build too (DIR/bin/corral.js, built), case by case in turn; --repeat N runs
// each case N times (the builds alternating) and prints the medians, and with
// --build the ratio of this checkout's /health p99 to DIR's. Every process the bench starts is ended by its pid (components by
// their process group), and the temp dirs removed, on Ctrl-C and errors too.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machine, median, printTable, sleep } from './lib.js';
import { cleanup, deathReason, get, rssSampler, same, startDaemon, started, stopDaemon, vm, writeConfig } from './hostile-daemon.js';
import { filterLoad, hookLoad, redactLoad, replayLoad } from './hostile-loads.js';

const ORDER = ['e', 'a', 'b', 'c', 'd'];
const CASES = {
  e: { label: 'e baseline (no hostile load)', load: null },
  a: { label: 'a 20 replays (?after=1) never read', load: (port) => replayLoad(port, { clients: 20 }) },
  b: { label: 'b 8 × 30 MiB POST /hooks bodies', load: (port) => hookLoad(port, { concurrent: 8, mib: 30, waves: 4 }) },
  c: { label: 'c 1 MB private-key redaction body', load: (port) => redactLoad(port, { bytes: 1_000_000, max: 100 }) },
  d: { label: 'd 5,000-term event_type filter', load: (port) => filterLoad(port, { n: 5000, everyMs: 1000, max: 60 }) },
};
const TARGET_RSS_MB = 300;
const TARGET_P99_MS = 100;
const USAGE = 'usage: node bench/hostile.js [--cases e,a,b,c,d] [--seconds 15] [--build DIR] [--repeat 1] [--prefill-mb 200] [--rate 50] [--rss-cap 2048]';
const root = resolve(import.meta.dirname, '..');

function fail(message) {
  process.stderr.write(`bench/hostile.js: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        cases: { type: 'string', default: ORDER.join(',') },
        seconds: { type: 'string', default: '15' },
        build: { type: 'string' },
        repeat: { type: 'string', default: '1' },
        'prefill-mb': { type: 'string', default: '200' },
        rate: { type: 'string', default: '50' },
        'rss-cap': { type: 'string', default: '2048' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    fail(err.message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\ncases: ${ORDER.map((k) => CASES[k].label).join('; ')}\n`);
    process.exit(0);
  }
  const number = (name, min, max) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || n > max) fail(`--${name}: expected a number from ${min} to ${max}, got ${JSON.stringify(values[name])}`);
    return n;
  };
  const asked = values.cases.split(',').map((c) => c.trim()).filter(Boolean);
  const unknown = asked.filter((c) => !ORDER.includes(c));
  if (asked.length === 0 || unknown.length > 0) fail(`--cases: unknown case ${unknown.map((c) => `"${c}"`).join(', ') || '(none given)'} (there are: ${ORDER.join(', ')})`);
  const builds = [{ label: 'this checkout', root }];
  if (values.build) builds.push({ label: basename(resolve(values.build)), root: resolve(values.build) });
  for (const b of builds) {
    b.bin = join(b.root, 'bin', 'corral.js');
    if (!existsSync(b.bin)) fail(`${b.root}: no bin/corral.js there (is it a corral checkout?)`);
    if (!existsSync(join(b.root, 'dist', 'src', 'index.js'))) fail(`${b.root}: dist/ is missing: run \`npx tsc -p tsconfig.build.json\` there first`);
  }
  return {
    cases: ORDER.filter((c) => asked.includes(c)),
    seconds: number('seconds', 1, 300),
    repeat: number('repeat', 1, 20),
    prefillMb: number('prefill-mb', 0, 1000),
    rate: number('rate', 1, 1000),
    rssCap: number('rss-cap', 100, 16_384),
    builds,
  };
}

process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench/hostile.js: ${sig}, ending every process it started\n`);
    cleanup();
    process.exit(130);
  });
}

// ---- the normal clients ----
function startProbe() {
  const child = fork(join(import.meta.dirname, 'hostile-probe.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  started.probe = child;
  const waiting = [];
  child.on('message', (msg) => {
    const i = waiting.findIndex((w) => w.key in msg);
    if (i >= 0) waiting.splice(i, 1)[0].resolve(msg);
  });
  const next = (key, ms) =>
    new Promise((resolve, reject) => {
      const w = { key, resolve };
      waiting.push(w);
      setTimeout(() => {
        if (waiting.includes(w)) reject(new Error(`the probe did not answer "${key}" within ${ms / 1000} s`));
      }, ms).unref();
    });
  return {
    ready: next('ready', 30_000),
    ask: (msg, key, ms) => {
      const answer = next(key, ms);
      child.send(msg);
      return answer;
    },
  };
}

// ---- the store a replay sends ----
async function prefill(build, dir, mb) {
  const d = startDaemon(build, dir);
  const blob = 'x'.repeat(50_000);
  const perPost = 18;
  const body = Buffer.from(JSON.stringify(Array.from({ length: perPost }, (_, i) => ({ source: 'bench', session_id: 'prefill', event_type: 'bench.prefill', payload: { i, blob } }))));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const post = () =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: d.port, method: 'POST', path: '/events', agent, localAddress: '127.0.0.3', headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, retry: Number(res.headers['retry-after']) || 1 }));
      });
      req.on('error', (err) => resolve({ status: err.code }));
      req.end(body);
    });
  const t0 = Date.now();
  let stored = 0;
  try {
    const posts = Math.ceil((mb * 1e6) / body.length);
    for (let i = 0; i < posts; ) {
      const batch = await Promise.all([post(), ...(i + 1 < posts ? [post()] : [])]);
      for (const r of batch) {
        if (r.status === 202) {
          stored += perPost;
          i++;
        } else if (r.status === 429) await sleep(r.retry * 1000);
        else throw new Error(`prefill: POST /events answered ${r.status}`);
      }
      if (Date.now() - t0 > 600_000) throw new Error('prefill: not done within 10 min');
    }
  } finally {
    agent.destroy();
    stopDaemon(d);
  }
  const size = ['events.db', 'events.db-wal'].reduce((n, f) => n + (existsSync(join(dir, '.corral', f)) ? statSync(join(dir, '.corral', f)).size : 0), 0);
  return { events: stored, mb: size / 1e6, seconds: (Date.now() - t0) / 1000 };
}

// ---- one case ----
async function runCase(opts, probe, build, key) {
  const d = startDaemon(build, build.dir);
  const before = vm(d.pid, 'VmRSS');
  const run = `${key}-${build.label}-${Date.now()}`;
  const ok = await probe.ask({ cmd: 'start', port: d.port, run, rate: opts.rate, healthEveryMs: 50 }, 'started', 60_000);
  if (!ok.started) {
    stopDaemon(d);
    throw new Error(`the normal clients could not start: ${ok.error}`);
  }
  const sample = rssSampler(d, opts.rssCap);
  const load = CASES[key].load?.(d.port);
  if (load) started.loads.add(load);
  const t0 = Date.now();
  while (Date.now() - t0 < opts.seconds * 1000 && same(d)) await sleep(100);
  const note = load ? await load.stop() : '';
  started.loads.delete(load);
  const loadEnded = Date.now();
  const report = (await probe.ask({ cmd: 'stop' }, 'report', 60_000)).report;
  // A daemon still busy with the load: how long until /health answers again (at most a minute after the load).
  let health = null;
  while (same(d) && health !== 200 && Date.now() - loadEnded < 60_000) health = await get(d.port, '/health', 2000);
  const recovered = (Date.now() - loadEnded) / 1000;
  const alive = same(d) !== null;
  const after = alive ? vm(d.pid, 'VmRSS') : NaN;
  // The peak covers the load, the drain and the check above.
  const rss = sample();
  const components = d.components.filter((c) => same(c)).length;
  let survived;
  if (rss.killedAt !== null) survived = `no: killed by the bench at ${fmt(rss.killedAt)} MB (--rss-cap)`;
  else if (!alive) survived = `NO, died: ${deathReason(d.dir)}`;
  else if (health !== 200) survived = `alive, but /health still unanswered ${fmt(recovered)} s after the load`;
  else survived = `yes (components ${components}/${d.components.length})${recovered > 3 ? `, /health answered again ${fmt(recovered)} s after the load` : ''}`;
  stopDaemon(d);
  return { build: build.label, key, before, ...rss, after, report, survived, died: !alive || health !== 200, note };
}

function row(r, multi) {
  const h = r.report.health;
  const failedHealth = Object.values(h.failed).reduce((a, b) => a + b, 0);
  const p = r.report;
  // Met when every event the publisher meant to send was acknowledged and reached the subscriber.
  const fullyDelivered = p.delivered === p.published && p.published === p.sent && p.skipped === 0;
  const notPublished = [
    ...Object.entries(p.refused).map(([s, n]) => `${n}× HTTP ${s}`),
    ...Object.entries(p.failed).map(([e, n]) => `${n}× ${e}`),
    ...(p.unanswered ? [`${p.unanswered} unanswered`] : []),
    ...(p.skipped ? [`${p.skipped} held back (256 awaiting answers)`] : []),
  ];
  const mark = (met) => (met ? 'met' : 'MISSED');
  return [
    CASES[r.key].label,
    ...(multi ? [r.build] : []),
    `${fmt(r.before)} → ${fmt(r.peak)}`,
    fmt(r.after),
    fmt(h.p50, 1),
    fmt(h.p99, 1),
    `${h.n - h.unanswered}/${h.n + failedHealth}`,
    `${p.delivered}/${p.published}${notPublished.length ? ` (of ${p.sent} sent: ${notPublished.join(', ')})` : ''}`,
    r.survived,
    `RSS ${mark(r.peak < TARGET_RSS_MB && r.killedAt === null)}, p99 ${mark(h.p99 < TARGET_P99_MS && h.unanswered === 0 && failedHealth === 0)}, delivery ${mark(fullyDelivered)}`,
  ];
}

/** With --repeat: per case and build, the medians of the runs, and this checkout's /health p99 against the other build's. */
function printMedians(opts, results) {
  const multi = opts.builds.length > 1;
  const rows = [];
  for (const key of opts.cases) {
    const p99 = {};
    for (const b of opts.builds) {
      const rs = results.filter((r) => r.key === key && r.build === b.label);
      if (rs.length === 0) continue;
      const m = (f) => median(rs.map(f).filter((x) => Number.isFinite(x)));
      p99[b.label] = m((r) => r.report.health.p99);
      const delivered = rs.reduce((n, r) => n + r.report.delivered, 0);
      const published = rs.reduce((n, r) => n + r.report.published, 0);
      rows.push([
        CASES[key].label,
        ...(multi ? [b.label] : []),
        `${rs.length}`,
        `${fmt(m((r) => r.before))} → ${fmt(m((r) => r.peak))}`,
        fmt(m((r) => r.report.health.p50), 1),
        `${fmt(p99[b.label], 1)} (${rs.map((r) => fmt(r.report.health.p99, 0)).join(', ')})`,
        ...(multi ? [b === opts.builds[0] || !p99[opts.builds[0].label] ? '' : `${(p99[opts.builds[0].label] / p99[b.label]).toFixed(2)}×`] : []),
        `${delivered}/${published}`,
        `${rs.filter((r) => !r.died).length} of ${rs.length}`,
      ]);
    }
  }
  printTable(
    `Hostile local clients: medians of ${opts.repeat} runs per case and build (builds alternating), ${opts.seconds} s of load per run, fresh daemon per run\n` +
      `Targets: peak RSS < ${TARGET_RSS_MB} MB, /health p99 < ${TARGET_P99_MS} ms. Machine: ${machine()}; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')} (shared with other work)`,
    ['case', ...(multi ? ['build'] : []), 'runs', 'RSS before → peak MB', '/health p50 ms', '/health p99 ms (each run)', ...(multi ? ['this checkout\'s p99 ÷ this row\'s'] : []), 'delivered/published (all runs)', 'daemon survived'],
    rows,
  );
}

async function main() {
  const opts = options();
  const budgetMs = (opts.cases.length * opts.repeat * (opts.seconds + 150) + 900) * 1000 * opts.builds.length;
  setTimeout(() => {
    process.stderr.write(`bench/hostile.js: not done within its time budget (${fmt(budgetMs / 1000)} s); stopping\n`);
    cleanup();
    process.exit(1);
  }, budgetMs).unref();
  console.log(`hostile-load bench: ${machine()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares the machine)`);
  console.log(`cases ${opts.cases.join(',')}, ${opts.repeat} run(s) of ${opts.seconds} s of load each, normal clients: ${opts.rate} events/s published, /health every 50 ms`);
  const probe = startProbe();
  await probe.ready;
  for (const b of opts.builds) {
    b.dir = mkdtempSync(join(tmpdir(), 'corral-bench-hostile-'));
    started.dirs.push(b.dir);
    writeConfig(b.dir);
    if (opts.cases.includes('a') && opts.prefillMb > 0) {
      const p = await prefill(b, b.dir, opts.prefillMb);
      console.log(`${b.label}: store prefilled with ${p.events} events of ~50 KB (events.db ${fmt(p.mb)} MB) in ${fmt(p.seconds, 1)} s`);
    }
  }
  const results = [];
  const failures = [];
  for (const key of opts.cases) {
    for (let rep = 1; rep <= opts.repeat; rep++) for (const b of opts.builds) {
      process.stdout.write(`case ${CASES[key].label} (${b.label}${opts.repeat > 1 ? `, run ${rep}` : ''}) ... `);
      let r;
      try {
        r = await runCase(opts, probe, b, key);
      } catch (err) {
        // One case that could not run (a daemon that would not start) is said, and the others still run.
        console.log(`could not run: ${err.message}`);
        failures.push(`${key} (${b.label}): could not run: ${err.message}`);
        continue;
      }
      results.push(r);
      console.log(`${r.survived.startsWith('yes') ? 'survived' : r.survived}; peak RSS ${fmt(r.peak)} MB, /health p99 ${fmt(r.report.health.p99, 1)} ms`);
    }
  }
  const multi = opts.builds.length > 1;
  if (opts.repeat > 1) printMedians(opts, results);
  else printTable(
    `Hostile local clients, one case at a time, each beside a normal client (${opts.rate} events/s over POST /events, a subscriber, GET /health every 50 ms), ${opts.seconds} s of load per case, fresh daemon per case\n` +
      `Targets: peak RSS < ${TARGET_RSS_MB} MB, /health p99 < ${TARGET_P99_MS} ms, every event the normal client sent acknowledged and delivered. Machine: ${machine()}; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')} (shared with other work)`,
    ['case', ...(multi ? ['build'] : []), 'RSS before → peak MB', 'RSS after MB', '/health p50 ms', '/health p99 ms', '/health answered', 'delivered/published', 'daemon survived', 'targets'],
    results.map((r) => row(r, multi)),
  );
  console.log('\nwhat the hostile clients got:');
  for (const r of results.filter((x) => x.note)) console.log(`  ${r.key} (${r.build}): ${r.note}`);
  for (const f of failures) console.log(`  ${f}`);
  // A daemon that died is a result (the table says so); a case that could not run is the bench failing.
  if (failures.length > 0) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench/hostile.js: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
} finally {
  cleanup();
}
