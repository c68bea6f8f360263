// Federation over NATS JetStream: two daemons (hosts a and b) and one nats-server on this machine.
//
//   npm run build && node bench/federation.js [--runs 3] [--rate 1000] [--seconds 10] [--warmup 3]
//       [--forward-events 50000] [--backlog-events 100000] [--only latency,forward,cpu,drain] [--timeout 180]
//
// What it prints (docs/federation.md, "Measured", quotes it):
//   latency  events published on a's bus (WebSocket `event` messages, paced at --rate/s for --seconds,
//            each carrying the bench's own clock in its payload), received by a subscriber on b's bus
//            (`?host=a`) and, side by side, by one on a's own bus: p50/p99 per run, medians of the runs.
//            Target: cross-host p99 < 20 ms at 1,000 events/s.
//   forward  --forward-events published on a as fast as a takes them (POST /events, 200 per request,
//            4 at a time); the rate a accepted them and the rate they reached b's subscriber
//            (first sent → last received). Target: ≥ 5,000 events/s forwarded.
//   cpu      the latency load (--rate/s on a for --seconds) against a pair with federation on and against
//            a pair with it off, one after the other in each run; CPU % of a core of the sender (a) and of
//            the receiver (b), from /proc/PID/stat, over the load window after --warmup s.
//   drain    nats-server stopped; --backlog-events published on a (kept in its backlog); nats-server
//            started again (same port and store): time from NATS ready until a's backlog is 0, and until
//            b holds them all. Once (not --runs times): it takes a while.
// The daemons run as users run them (`corral up -d`, the built CLI, interpreted until busy: see
// bench/README.md), with `bus.rate_limit` raised (one client publishes here), `bus.retention` raised
// (100,000 events must stay), resource sampling off, and a's `federation.backlog` at 1.2 × --backlog-events
// (the daemon's own federation.* events share it). The load average and the busiest other processes
// are printed before and after: the figures are only as good as the machine was quiet.
// Every process it starts is ended by pid and its temp dirs removed, on errors and Ctrl-C too.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { URLSearchParams } from 'node:url';
import WebSocket from 'ws';
import { fmt, machine, median, now, printTable, sleep } from './lib.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'corral.js');
const USAGE = 'usage: node bench/federation.js [--runs 3] [--rate 1000] [--seconds 10] [--warmup 3] [--forward-events 50000] [--backlog-events 100000] [--only latency,forward,cpu,drain] [--timeout 180]';
const CASES = ['latency', 'forward', 'cpu', 'drain'];
const fail = (msg) => {
  process.stderr.write(`bench/federation.js: ${msg}\n${USAGE}\n`);
  process.exit(2);
};
let values;
try {
  ({ values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      'forward-events': { type: 'string', default: '50000' },
      'backlog-events': { type: 'string', default: '100000' },
      only: { type: 'string', default: CASES.join(',') },
      timeout: { type: 'string', default: '180' },
    },
  }));
} catch (e) {
  fail(e.message);
}
const num = (k) => {
  const v = Number(values[k]);
  if (!(v >= 0) || !Number.isFinite(v)) fail(`--${k} takes a number, not ${JSON.stringify(values[k])}`);
  return v;
};
const RUNS = num('runs'), RATE = num('rate'), SECONDS = num('seconds'), WARMUP = num('warmup');
const FORWARD = num('forward-events'), BACKLOG = num('backlog-events'), TIMEOUT = num('timeout') * 1000;
const only = values.only.split(',').filter(Boolean);
for (const c of only) if (!CASES.includes(c)) fail(`unknown case "${c}" (there are: ${CASES.join(', ')})`);
if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) fail('build first: npm run build');
const NATS = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find(existsSync) ?? 'nats-server';
if (spawnSync(NATS, ['--version']).status !== 0) fail(`no nats-server (${NATS}): apt-get install nats-server`);

// ---- what it starts, and ends ----
const tmp = mkdtempSync(join(tmpdir(), 'corral-bench-fed-'));
const daemons = [];
let nats = null;
async function cleanup() {
  // A failed run says what the daemons logged (their temp dirs go next).
  if (process.exitCode) {
    try {
      const state = nats?.pid && existsSync(`/proc/${nats.pid}`) ? `running (pid ${nats.pid})` : 'not running';
      process.stderr.write(`\n--- nats-server: ${state}; its log (last 3,000 characters) ---\n${readFileSync(join(tmp, 'nats-server.log'), 'utf8').slice(-3000)}\n`);
    } catch {} // no log
    for (const d of daemons) {
      try {
        const log = readFileSync(join(d.dir, '.corral', 'logs', 'corral.log'), 'utf8');
        process.stderr.write(`\n--- ${d.name}'s log (last 3,000 characters) ---\n${log.slice(-3000)}\n`);
      } catch {} // no log
    }
  }
  for (const d of daemons) {
    spawnSync(process.execPath, [bin, 'down'], { cwd: d.dir, stdio: 'ignore', timeout: 30_000 });
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {} // ended by down
  }
  if (nats) await nats.stop();
  rmSync(tmp, { recursive: true, force: true });
}
// Ctrl-C, `timeout`, a closed terminal: the daemons and nats-server are ended either way (they run detached).
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) process.on(signal, () => void cleanup().finally(() => process.exit(code)));

const freePort = () =>
  new Promise((ok, no) => {
    const s = createServer().once('error', no);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

/** Polls `probe` until `ok`; throws naming `what` (and the last value) after TIMEOUT. */
async function until(what, probe, ok = Boolean, everyMs = 50, timeoutMs = TIMEOUT) {
  const t0 = now();
  let last;
  while (now() - t0 < timeoutMs) {
    last = await probe().catch((e) => `error: ${e.message}`);
    if (ok(last)) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 400)}`);
}

async function startNats() {
  const port = await freePort(), mport = await freePort(), store = join(tmp, 'nats');
  let child = null;
  const self = {
    url: `nats://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    async start() {
      // Its output goes to a file: a failed run prints the end of it.
      const out = openSync(join(tmp, 'nats-server.log'), 'a');
      child = spawn(NATS, ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(mport), '-sd', store], { stdio: ['ignore', out, out] });
      closeSync(out);
      const log = join(tmp, 'nats-server.log');
      const c = child;
      c.once('exit', (code, signal) => {
        if (existsSync(tmp)) writeFileSync(log, `[bench] nats-server (pid ${c.pid}) exited: code ${code}, signal ${signal}\n`, { flag: 'a' });
      });
      const health = () => fetch(`http://127.0.0.1:${mport}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok);
      await until(`nats-server on ${port} to answer /healthz`, async () => (child.exitCode !== null ? Promise.reject(new Error(`nats-server exited ${child.exitCode}`)) : health()), Boolean, 20, 20_000);
    },
    async stop() {
      // This process, not `child`: start() replaces `child`, and a SIGKILL timer left running once
      // killed the next server 10 s after this stop (mid-drain: the drain case's "stall").
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      let timer;
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 10_000))).then(() => c.kill('SIGKILL'))]);
      clearTimeout(timer);
      await gone;
    },
  };
  await self.start();
  return self;
}

/** A daemon in its own temp project (`corral up -d`); `fed` = federation on. */
async function startDaemon(name, fed, backlog) {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const federation = fed ? `federation: { nats: "${nats.url}", host: "${name}"${backlog ? `, backlog: ${backlog}` : ''} }\n` : '';
  writeFileSync(join(dir, 'corral.yaml'), `version: 1\nbus: { port: 0, rate_limit: { rate: 1000000, burst: 1000000 }, retention: { events: 2000000 } }\nresources: { enabled: false }\n${federation}components: {}\n`);
  const up = spawnSync(process.execPath, [bin, 'up', '-d'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  if (up.status !== 0) throw new Error(`corral up -d of ${name} (federation ${fed ? 'on' : 'off'}) failed (exit ${up.status}): ${up.stderr}${up.stdout}`);
  const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
  const d = { name, dir, pid: info.pid, port: info.port, url: `http://127.0.0.1:${info.port}` };
  daemons.push(d);
  return d;
}

/** CPU ticks (user + system, 10 ms each) of one pid, from its /proc/PID/stat alone; NaN once it is gone. */
function ticks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

const health = (d) => fetch(`${d.url}/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.json());
const fedState = async (d) => (await health(d)).federation ?? {};

/** A bus client; `onEvent(e)` for every event (batches flattened); resolves once `initial` came. */
function bus(d, query, onEvent = () => {}) {
  return new Promise((ok, no) => {
    const ws = new WebSocket(`ws://127.0.0.1:${d.port}/events?${new URLSearchParams(query)}`);
    const timer = setTimeout(() => no(new Error(`no initial message from ${d.name}'s bus (${JSON.stringify(query)}) in 20 s`)), 20_000);
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      if (m.type === 'initial') {
        clearTimeout(timer);
        ok(ws);
      } else if (m.type === 'event') for (const e of Array.isArray(m.data) ? m.data : [m.data]) onEvent(e);
      else if (m.type === 'error') process.stderr.write(`${d.name}'s bus: ${JSON.stringify(m.data)}\n`);
    });
    ws.once('error', (e) => no(new Error(`${d.name}'s bus: ${e.message}`)));
  });
}

const event = (type, run, i, extra = {}) => ({ source: 'bench', session_id: run, event_type: type, payload: { run, i, text: 'x'.repeat(200), ...extra } });
const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** `rate` events/s over `seconds` as WebSocket `event` messages on `ws`, paced every 5 ms; resolves with how many were sent. */
async function paced(ws, type, run, rate, seconds) {
  const total = Math.round(rate * seconds);
  const t0 = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - t0) * rate) / 1000) + 1);
    for (; sent < due; sent++) ws.send(JSON.stringify({ type: 'event', data: event(type, run, sent, { t: performance.timeOrigin + now() }) }));
    await sleep(5);
  }
  return sent;
}

/** One latency run: receive times at b (remote) and at a (local) of events published on a. */
async function latencyRun(a, b, k) {
  const run = `lat-${k}-${Date.now()}`;
  const remote = [], local = [];
  const skip = Math.round(RATE * Math.min(1, SECONDS / 5)); // the first second (at most): connections and JIT warming
  const record = (into) => (e) => {
    if (e.payload?.run === run && e.payload.i >= skip) into.push(performance.timeOrigin + now() - e.payload.t);
  };
  const wb = await bus(b, { host: 'a', event_type: 'bench.lat' }, record(remote));
  const wa = await bus(a, { event_type: 'bench.lat' }, record(local));
  const pub = await bus(a, { event_type: 'bench.none' });
  const sent = await paced(pub, 'bench.lat', run, RATE, SECONDS);
  const want = sent - skip;
  await until(`b to receive ${want} latency events from a (run ${k})`, async () => remote.length, (n) => n >= want, 50, Math.max(30_000, SECONDS * 3000)).catch((e) => console.error(`  ${e.message}`));
  for (const w of [wb, wa, pub]) w.close();
  return { remote, local, sent: want };
}

/** Sends `n` events on a through POST /events (200 per request, 4 requests in flight); resolves with ms taken. */
async function flood(d, type, run, n) {
  const t0 = now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const first = next;
      next = Math.min(n, next + 200);
      const body = JSON.stringify(Array.from({ length: next - first }, (_, j) => event(type, run, first + j)));
      const res = await fetch(`${d.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(60_000) });
      if (res.status !== 202) throw new Error(`POST /events to ${d.name} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return now() - t0;
}

async function forwardRun(a, b, k) {
  const run = `fwd-${k}-${Date.now()}`;
  let got = 0, last = 0;
  const wb = await bus(b, { host: 'a', event_type: 'bench.fwd' }, (e) => {
    if (e.payload?.run === run) {
      got++;
      last = now();
    }
  });
  const t0 = now();
  const ms = await flood(a, 'bench.fwd', run, FORWARD);
  await until(`b to receive ${FORWARD} forwarded events (run ${k})`, async () => got, (n) => n >= FORWARD, 50);
  wb.close();
  return { accepted: (FORWARD / ms) * 1000, forwarded: (FORWARD / (last - t0)) * 1000 };
}

/** CPU % of a core of `pids` while `load()` runs, counted from `warmupMs` after it starts. */
async function cpuDuring(pids, load, warmupMs) {
  const hz = 100; // USER_HZ: /proc/PID/stat counts 10 ms ticks
  let start = null;
  const started = sleep(warmupMs).then(() => (start = { t: now(), ticks: pids.map(ticks) }));
  await load();
  await started;
  const secs = (now() - start.t) / 1000;
  return pids.map((pid, i) => ((ticks(pid) - start.ticks[i]) / hz / secs) * 100);
}

async function cpuRun(pair, k) {
  const [a, b] = pair;
  const run = `cpu-${k}-${Date.now()}`;
  const pub = await bus(a, { event_type: 'bench.none' });
  const sink = await bus(b, { event_type: 'bench.cpu' }); // b's subscriber as in the latency case (gets them only when federated)
  const out = await cpuDuring([a.pid, b.pid], () => paced(pub, 'bench.cpu', run, RATE, SECONDS + WARMUP), WARMUP * 1000);
  pub.close();
  sink.close();
  return out;
}

async function drainRun(a, b) {
  const run = `drain-${Date.now()}`;
  await nats.stop();
  await until("a's federation to say disconnected", () => fedState(a), (f) => f.state === 'disconnected');
  const fillMs = await flood(a, 'bench.drain', run, BACKLOG);
  const kept = (await fedState(a)).backlog;
  await nats.start();
  const t0 = now();
  const drained = until(`a's backlog (${kept}) to drain`, () => fedState(a), (f) => f.state === 'connected' && f.backlog === 0, 100).then(() => now() - t0);
  const arrived = until(`b to hold ${BACKLOG} drained events`, async () => {
    const r = await fetch(`${b.url}/events?host=a&session_id=${run}&order=desc&limit=1`).then((x) => x.json());
    return r.events?.[0]?.payload?.i;
  }, (i) => i === BACKLOG - 1, 100).then(() => now() - t0);
  // Both are awaited together: a timeout of either is reported, not left unhandled.
  const [drainedMs, arrivedMs] = await Promise.all([drained, arrived]);
  return { fillMs, kept, drainedMs, arrivedMs };
}

/** The load average and the busiest processes other than ours over one second: what else was running. */
async function machineLoad() {
  const pids = new Set([process.pid, nats?.pid, ...daemons.map((d) => d.pid)]);
  const snap = () => new Map(readdirSync('/proc').filter((p) => /^\d+$/.test(p) && !pids.has(Number(p))).map((p) => [p, ticks(Number(p))]));
  const before = snap();
  await sleep(1000);
  const busy = [...snap()]
    .map(([p, t]) => [p, t - (before.get(p) ?? t)])
    .filter(([, d]) => d > 2) // over 2 % of a core
    .sort((x, y) => y[1] - x[1])
    .slice(0, 5)
    .map(([p, d]) => `${readFileSync(`/proc/${p}/comm`, 'utf8').trim()}(${p}) ${d}%`);
  return `load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; busiest other processes over 1 s: ${busy.join(', ') || 'none'}`;
}

try {
  nats = await startNats();
  console.log(`${machine()}; ${spawnSync(NATS, ['--version'], { encoding: 'utf8' }).stdout.trim()}`);
  console.log(`before: ${await machineLoad()}`);
  const a = await startDaemon('a', true, Math.ceil(BACKLOG * 1.2));
  const b = await startDaemon('b', true);
  for (const d of [a, b]) await until(`${d.name}'s /health to say federation.state connected`, () => fedState(d), (f) => f.state === 'connected');
  const off = only.includes('cpu') ? [await startDaemon('a-off', false), await startDaemon('b-off', false)] : null;
  const rows = [];
  if (only.includes('latency')) {
    const runs = [];
    for (let k = 0; k < RUNS; k++) runs.push(await latencyRun(a, b, k));
    const med = (f) => fmt(median(runs.map(f)), 2);
    rows.push(['a → b (remote, ?host=a)', `${RATE}/s × ${SECONDS} s`, med((r) => pct(r.remote, 50)), med((r) => pct(r.remote, 99)), runs.map((r) => fmt(pct(r.remote, 99), 1)).join(' / '), runs.map((r) => `${r.remote.length}/${r.sent}`).join(' '), 'p99 < 20 ms']);
    rows.push(['a → a (local, same run)', `${RATE}/s × ${SECONDS} s`, med((r) => pct(r.local, 50)), med((r) => pct(r.local, 99)), runs.map((r) => fmt(pct(r.local, 99), 1)).join(' / '), runs.map((r) => `${r.local.length}/${r.sent}`).join(' '), '(reference)']);
    printTable(`Publish → subscriber latency, ms (medians of ${RUNS} runs)`, ['path', 'load', 'p50', 'p99', 'p99 per run', 'received', 'target'], rows);
  }
  if (only.includes('forward')) {
    const runs = [];
    for (let k = 0; k < RUNS; k++) runs.push(await forwardRun(a, b, k));
    printTable(`Sustained forward rate of one host, events/s (${FORWARD} events, medians of ${RUNS} runs)`, ['accepted by a', 'reached b', 'per run (reached b)', 'target'], [
      [fmt(median(runs.map((r) => r.accepted))), fmt(median(runs.map((r) => r.forwarded))), runs.map((r) => fmt(r.forwarded)).join(' / '), '≥ 5,000/s'],
    ]);
  }
  if (only.includes('cpu')) {
    const on = [], offs = [];
    for (let k = 0; k < RUNS; k++) {
      offs.push(await cpuRun(off, k));
      on.push(await cpuRun([a, b], k));
    }
    const m = (list, i) => median(list.map((r) => r[i]));
    printTable(`CPU % of one core at ${RATE} events/s published on a (${SECONDS} s after ${WARMUP} s warm-up; medians of ${RUNS} runs)`, ['daemon', 'federation off', 'federation on', 'extra'], [
      ['a (sender)', fmt(m(offs, 0), 1), fmt(m(on, 0), 1), fmt(m(on, 0) - m(offs, 0), 1)],
      ['b (receiver)', fmt(m(offs, 1), 1), fmt(m(on, 1), 1), fmt(m(on, 1) - m(offs, 1), 1)],
    ]);
  }
  if (only.includes('drain')) {
    const r = await drainRun(a, b);
    printTable(`Backlog drain after NATS returns (${BACKLOG} events published on a while nats-server was down; once)`, ['filled in', 'backlog kept', 'a backlog 0 after', 'all at b after', 'rate at b'], [
      [`${fmt(r.fillMs / 1000, 1)} s`, String(r.kept), `${fmt(r.drainedMs / 1000, 2)} s`, `${fmt(r.arrivedMs / 1000, 2)} s`, `${fmt(BACKLOG / (r.arrivedMs / 1000))}/s`],
    ]);
  }
  console.log(`\nafter: ${await machineLoad()}`);
} catch (e) {
  process.stderr.write(`bench/federation.js: ${e.stack ?? e}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
