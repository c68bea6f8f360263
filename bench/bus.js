// The bus against a bare `ws` broadcast server, side by side in one run.
//
//   npm run build && node bench/bus.js [--runs 3] [--seconds 5] [--rate 5000]
//       [--subscribers 10] [--kinds bare,bare-zod,corral] [--slow-seconds 30] [--prof DIR] [--no-daemon-flags]
//       [--build DIR]
//
// Three processes per measurement: the server (bench/bus-server.js: bare,
// bare + JSON.parse + zod, or corral with validation and a SQLite store in a
// temp dir), the subscribers (bench/bus-subscribers.js: N `ws` clients in one
// process) and this one, the publisher (one `ws` client). Events are ~300-byte
// Claude Code PreToolUse hook events; corral gets them as `{type:'event', data}`
// messages, the bare servers as the raw event.
//
// 1. Saturation: the publisher keeps at most WINDOW events in flight (sent but
//    not yet received by the slowest subscriber), so what is measured is
//    delivery, not buffering; deliveries/s per subscriber over `seconds`, after
//    one second of warm-up.
// 2. Latency at `rate` events/s offered: publish→receive p50/p99 over all
//    subscribers, timestamps on the shared monotonic clock (process.hrtime).
// Every configuration is run `runs` times, interleaved, each on a fresh server;
// medians are reported. Then, if --slow-seconds > 0, the slow-consumer case:
// one subscriber that never reads while `rate` events/s are offered, server
// RSS sampled throughout (corral batches, then drops it past 16 MiB buffered),
// until the server drops it or --slow-seconds.
// --prof DIR runs corral's server under --cpu-prof (profiles written to DIR/N-KIND, one per thread).
// Old against new: --build DIR adds corral from another built checkout (DIR/dist,
// `npx tsc -p tsconfig.build.json` run there; wired by this checkout's bus-server.js)
// as the kind `corral@DIR` (several: DIR,DIR2); every run measures all kinds, in
// reverse order every other run (so a machine that gets busier or quieter favours
// neither), and the summary gives this build's figures divided by each other's.
// Diagnostics (environment): BUS_TRACE=1 prints the server's event-loop delay
// and GC pauses over each latency run; BUS_ALLOC=FILE writes a sampling
// allocation profile of corral's server over the latency run; BUS_NOSTORE=1
// runs corral's bus with no store (the store's cost, by difference);
// BUS_SERVER_ARGS="..." adds Node flags to corral's server; BUS_SUBS_ARGS="..." gives the subscribers' process Node flags.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { cpuTicks, fmt, machine, median, now, printTable, sleep, waitFor } from './lib.js';

const { DAEMON_V8_FLAGS } = await import('../dist/src/cli/up.js');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '5000' },
    subscribers: { type: 'string', default: '10' },
    kinds: { type: 'string', default: 'bare,bare-zod,corral' },
    'slow-seconds': { type: 'string', default: '30' },
    prof: { type: 'string' },
    window: { type: 'string', default: '5000' },
    'no-daemon-flags': { type: 'boolean', default: false },
    build: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const SUBS = Number(values.subscribers);
const others = (values.build ?? '').split(',').filter(Boolean).map((dir) => ({ root: resolve(dir), kind: `corral@${basename(resolve(dir))}` }));
const KINDS = values.kinds.split(',');
for (const o of others) if (!KINDS.includes(o.kind)) KINDS.push(o.kind);
/** corral's server: this build's, or one of --build's. */
const isCorral = (kind) => kind === 'corral' || others.some((o) => o.kind === kind);
const SLOW_SECONDS = Number(values['slow-seconds']);
const WINDOW = Number(values.window);
const here = (f) => fileURLToPath(new URL(f, import.meta.url));

const hrMs = () => {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
};

// A realistic PreToolUse hook event, as `corral hook` would publish it; the
// payload carries the publish time and a sequence number for the bench.
const SESSION = '5b0d3c62-8f1e-4c2a-9d7b-0e4f6a1c2b3d';
function hookEvent(i) {
  return (
    `{"event_type":"PreToolUse","hook_event_type":"PreToolUse","source":"claude-code","source_app":"app","session_id":"${SESSION}",` +
    `"payload":{"session_id":"${SESSION}","cwd":"/home/dev/app","hook_event_name":"PreToolUse","tool_name":"Bash",` +
    `"tool_input":{"command":"npm test"},"bench_i":${i},"bench_t":${hrMs().toFixed(4)}}}`
  );
}

const children = new Set();
const tempDirs = new Set();
function cleanup() {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
process.on('exit', cleanup);

/** Forks a bench child; resolves with it once it said {ready}. `on` gets its other messages. */
function start(file, args, on, execArgv = []) {
  const child = fork(here(file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  children.add(child);
  return new Promise((resolve, reject) => {
    child.on('message', (msg) => {
      if (msg.ready) resolve({ child, port: msg.port });
      else on(msg);
    });
    child.once('exit', (code) => {
      children.delete(child);
      reject(new Error(`${file} exited with ${code} before it was ready`));
    });
  });
}

/** Asks a child for one answer (the first message with `key`). */
function ask(child, cmd, key, replies, extra = {}) {
  return new Promise((resolve) => {
    replies.push({ key, resolve });
    child.send({ cmd, ...extra });
  });
}

async function stopChild(child) {
  if (!children.has(child)) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.send({ cmd: 'stop' });
  await Promise.race([gone, sleep(3000)]);
  child.kill('SIGKILL');
  children.delete(child);
}

let profiles = 0;

/** One server + subscribers + publisher; runs `body(ctx)` and tears everything down. */
async function withSetup(kind, subs, stall, body) {
  let dir = null;
  const args = ['--kind', isCorral(kind) ? 'corral' : kind];
  if (isCorral(kind)) {
    dir = mkdtempSync(join(tmpdir(), 'corral-bench-bus-'));
    tempDirs.add(dir);
    args.push('--dir', dir);
    if (kind !== 'corral') args.push('--root', others.find((o) => o.kind === kind).root);
  }
  // corral's server runs with the V8 flags `corral up -d` gives the daemon (src/cli/up.ts DAEMON_V8_FLAGS).
  const daemonFlags = isCorral(kind) && !values['no-daemon-flags'] ? DAEMON_V8_FLAGS : [];
  const prof = isCorral(kind) && values.prof ? ['--cpu-prof', '--cpu-prof-dir', join(values.prof, `${++profiles}-${kind.replaceAll(/[^\w.-]/g, '_')}`)] : [];
  const execArgv = ['--expose-gc', ...daemonFlags, ...prof];
  if (isCorral(kind) && process.env.BUS_SERVER_ARGS) execArgv.push(...process.env.BUS_SERVER_ARGS.split(' '));
  const serverReplies = [];
  const server = await start('./bus-server.js', args, (msg) => answer(serverReplies, msg), execArgv);
  const url = `ws://127.0.0.1:${server.port}/events`;

  const state = { sent: 0, min: 0, waiters: [] };
  const subReplies = [];
  const subscribers = await start('./bus-subscribers.js', ['--url', url, '--n', String(subs), '--stall', String(stall)], (msg) => {
    if ('progress' in msg) {
      state.min = msg.progress;
      for (const w of state.waiters.splice(0)) w();
    } else answer(subReplies, msg);
  }, process.env.BUS_SUBS_ARGS ? process.env.BUS_SUBS_ARGS.split(' ') : []);

  // The publisher: corral's connection subscribes to nothing (the bare servers
  // do not echo to the sender), so both servers deliver to exactly `subs` clients.
  const pub = new WebSocket(isCorral(kind) ? `${url}?event_type=bench.nothing` : url, { perMessageDeflate: false });
  pub.on('error', (err) => console.error(`publisher: ${err.message}`));
  await new Promise((r, j) => {
    pub.once('open', r);
    pub.once('error', j);
  });
  const send =
    isCorral(kind)
      ? () => pub.send(`{"type":"event","data":${hookEvent(state.sent++)}}`)
      : () => pub.send(hookEvent(state.sent++));

  const ctx = {
    kind,
    state,
    send,
    progress: (timeoutMs = 5000) =>
      new Promise((r) => {
        const t = setTimeout(r, timeoutMs);
        state.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      }),
    subs: (cmd, key) => ask(subscribers.child, cmd, key, subReplies),
    // `reset` has no answer; IPC keeps order, so later reports see it.
    pids: { server: server.child.pid, subscribers: subscribers.child.pid, publisher: process.pid },
    reset: () => subscribers.child.send({ cmd: 'reset' }),
    server: (cmd, key, extra) => ask(server.child, cmd, key, serverReplies, extra),
    tell: (msg) => server.child.send(msg),
  };
  try {
    return await body(ctx);
  } finally {
    pub.terminate();
    await stopChild(subscribers.child);
    await stopChild(server.child);
    if (dir) {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    }
  }
}

function answer(replies, msg) {
  const i = replies.findIndex((r) => r.key in msg);
  if (i < 0) return;
  const { key, resolve } = replies.splice(i, 1)[0];
  resolve(msg[key]);
}

/** Publishes as fast as the slowest subscriber receives, WINDOW events in flight at most. */
async function pump(ctx, ms) {
  const end = now() + ms;
  while (now() < end) {
    while (ctx.state.sent - ctx.state.min < WINDOW) ctx.send();
    await ctx.progress();
  }
}

async function drain(ctx) {
  await waitFor(() => ctx.state.min >= ctx.state.sent - 100, 10_000, 10);
}

async function saturation(ctx) {
  await pump(ctx, 1000);
  ctx.reset();
  const t0 = now();
  const ticks0 = Object.fromEntries(Object.entries(ctx.pids).map(([k, pid]) => [k, cpuTicks(pid)]));
  ctx.tell({ cmd: 'trace', phase: 'saturationStart' });
  await pump(ctx, SECONDS * 1000);
  ctx.tell({ cmd: 'trace', phase: 'saturationEnd' });
  const report = await ctx.subs('report', 'report');
  const dt = (now() - t0) / 1000;
  // CPU of each process over the window, % of one core (clock ticks are 1/100 s).
  const cpu = Object.fromEntries(Object.entries(ctx.pids).map(([k, pid]) => [k, (cpuTicks(pid) - ticks0[k]) / dt]));
  await drain(ctx);
  const total = report.counts.reduce((a, b) => a + b, 0);
  const perSub = total / report.counts.length / dt;
  // The server's CPU (all its threads) per event delivered to each subscriber, in µs.
  return { perSub, slowest: Math.min(...report.counts) / dt, cpu, satUs: ((cpu.server / 100) * 1e6) / perSub };
}

/** Offers `rate` events/s for `ms` (sending what is due every millisecond). */
function offer(ctx, rate, ms) {
  return new Promise((resolve) => {
    const t0 = now();
    const first = ctx.state.sent;
    const timer = setInterval(() => {
      const elapsed = Math.min(now() - t0, ms);
      const due = first + Math.floor((elapsed * rate) / 1000);
      while (ctx.state.sent < due) ctx.send();
      if (elapsed >= ms) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

async function latency(ctx) {
  // The saturation run leaves corral's store writing what it was sent (up to
  // its high water): the latency run starts once it has caught up, so it
  // measures 5000/s, not the end of the saturation run.
  const catchUp = await waitFor(async () => (await ctx.server('stats', 'stats')).pending === 0, 60_000, 20);
  await offer(ctx, RATE, 1000);
  const resetAt = ctx.state.sent;
  ctx.reset();
  ctx.tell({ cmd: 'trace', phase: 'start' });
  const ticks0 = cpuTicks(ctx.pids.server);
  await offer(ctx, RATE, SECONDS * 1000);
  await drain(ctx);
  const latUs = ((cpuTicks(ctx.pids.server) - ticks0) * 1e4) / (ctx.state.sent - resetAt);
  ctx.tell({ cmd: 'trace', phase: 'end' });
  const report = await ctx.subs('report', 'report');
  const stats = await ctx.server('stats', 'stats');
  const live = await ctx.server('stats', 'stats', { gc: true });
  return { latUs, catchUp, live: live.heap + live.external, pending: stats.pending, p50: report.p50, p99: report.p99, n: report.n, offered: ctx.state.sent - resetAt, rss: stats.rss, heap: stats.heap, external: stats.external };
}

async function slowConsumer(kind) {
  return withSetup(kind, 1, 1, async (ctx) => {
    const first = await ctx.server('stats', 'stats');
    const before = first.rss;
    let peak = before;
    let peakBacklog = 0;
    // A client that never reads never sees its close either: the server's count tells.
    let dropped = false;
    const sampler = setInterval(async () => {
      const s = await ctx.server('stats', 'stats');
      peak = Math.max(peak, s.rss);
      peakBacklog = Math.max(peakBacklog, s.backlog);
      if (s.clients < first.clients) dropped = true;
    }, 200);
    // Until the server drops the stalled client, or SLOW_SECONDS.
    const t0 = now();
    let closedAfter = null;
    while (now() - t0 < SLOW_SECONDS * 1000) {
      await offer(ctx, RATE, 500);
      if (dropped) {
        closedAfter = (now() - t0) / 1000;
        break;
      }
    }
    clearInterval(sampler);
    // corral cuts a dropped socket 1 s after its close frame: measure after that.
    if (dropped) await sleep(1500);
    const after = await ctx.server('stats', 'stats');
    const live = await ctx.server('stats', 'stats', { gc: true });
    return { before, peak: Math.max(peak, after.rss), live: live.heap + live.external, peakBacklog, closedAfter };
  });
}

const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

async function main() {
  const results = Object.fromEntries(KINDS.map((k) => [k, []]));
  console.log(`bus bench: ${SUBS} subscribers, ${RUNS} runs × (${SECONDS} s saturation + ${SECONDS} s at ${RATE}/s), ${machine()}`);
  console.log(`event: ${Buffer.byteLength(hookEvent(0))} bytes as published`);
  for (let run = 1; run <= RUNS; run++) {
    for (const kind of others.length > 0 && run % 2 === 0 ? [...KINDS].reverse() : KINDS) {
      const r = await withSetup(kind, SUBS, 0, async (ctx) => ({ ...(await saturation(ctx)), ...(await latency(ctx)) }));
      results[kind].push(r);
      console.log(
        `run ${run} ${kind.padEnd(8)} saturation ${fmt(r.perSub)}/s per subscriber (slowest ${fmt(r.slowest)}; CPU % server ${fmt(r.cpu.server)} = ${fmt(r.satUs, 1)} µs per event, subscribers ${fmt(r.cpu.subscribers)}, publisher ${fmt(r.cpu.publisher)}), ` +
          `${isCorral(kind) ? `(store caught up ${fmt(r.catchUp)} ms after it) ` : ''}at ${RATE}/s p50 ${fmt(r.p50, 2)} ms p99 ${fmt(r.p99, 2)} ms, server CPU ${fmt(r.latUs, 1)} µs per event (${r.n} deliveries of ${r.offered * SUBS}), server RSS ${fmt(r.rss / 2 ** 20)} MiB (heap ${fmt(r.heap / 2 ** 20)}, external ${fmt(r.external / 2 ** 20)}; after a full GC heap + external ${fmt(r.live / 2 ** 20)}; store queue ${r.pending} events)`,
      );
    }
  }
  const med = (kind, key) => median(results[kind].map((r) => r[key]));
  const bare = KINDS.includes('bare') ? 'bare' : KINDS[0];
  const rows = KINDS.map((k) => [
    k,
    fmt(med(k, 'perSub')),
    ratio(med(k, 'perSub'), med(bare, 'perSub')),
    fmt(med(k, 'p50'), 2),
    fmt(med(k, 'p99'), 2),
    ratio(med(k, 'p99'), med(bare, 'p99')),
    fmt(med(k, 'satUs'), 1),
    fmt(med(k, 'latUs'), 1),
    fmt(med(k, 'rss') / 2 ** 20),
  ]);
  printTable(
    `Event bus: ${SUBS} WebSocket subscribers in another process, ~300-byte PreToolUse events, medians of ${RUNS} runs (${SECONDS} s each)\n` +
      `bare = ws broadcast, no parsing/validation/storage; bare-zod = bare + JSON.parse + zod event check; ` +
      `corral = bus with validation + SQLite store (rate limit raised)\nMachine: ${machine()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work shares it)`,
    ['server', 'saturation deliveries/s per subscriber', `vs ${bare}`, `p50 ms at ${RATE}/s`, `p99 ms at ${RATE}/s`, `p99 vs ${bare}`, 'server CPU µs/event, saturation', `server CPU µs/event at ${RATE}/s`, 'server RSS MiB'],
    rows,
  );
  if (results.corral && results[bare] && bare !== 'corral') {
    const rate = med('corral', 'perSub') / med(bare, 'perSub');
    const p99 = med('corral', 'p99') / med(bare, 'p99');
    console.log(`\ntargets: corral ≥ 80 % of ${bare}'s saturation rate: ${(rate * 100).toFixed(0)} % ${rate >= 0.8 ? 'MET' : 'MISSED'}; ` +
      `p99 at ${RATE}/s ≤ 1.5× ${bare}'s: ${p99.toFixed(2)}× ${p99 <= 1.5 ? 'MET' : 'MISSED'}`);
  }

  for (const other of results.corral ? others : []) {
    const vs = (key) => `${((med('corral', key) / med(other.kind, key) - 1) * 100).toFixed(1)} %`;
    const perRun = results.corral.map((r, i) => (r.perSub / results[other.kind][i].perSub).toFixed(2)).join(', ');
    console.log(
      `\nthis build against ${other.kind} (medians): saturation ${vs('perSub')} (per run ${perRun}), p50 ${vs('p50')}, p99 ${vs('p99')}, ` +
        `server CPU per event ${vs('satUs')} at saturation, ${vs('latUs')} at ${RATE}/s; ` +
        `saturation vs ${bare}: ${ratio(med('corral', 'perSub'), med(bare, 'perSub'))} against ${ratio(med(other.kind, 'perSub'), med(bare, 'perSub'))}`,
    );
  }

  if (SLOW_SECONDS > 0) {
    const slowRows = [];
    for (const kind of KINDS.filter((k) => k !== 'bare-zod')) {
      const s = await slowConsumer(kind);
      slowRows.push([
        kind,
        fmt(s.before / 2 ** 20),
        fmt(s.peak / 2 ** 20),
        fmt(s.peakBacklog / 2 ** 20, 1),
        s.closedAfter === null ? `still open after ${SLOW_SECONDS} s` : `dropped after ${fmt(s.closedAfter, 1)} s`,
        fmt(s.live / 2 ** 20),
      ]);
    }
    printTable(
      `Slow consumer: 1 live subscriber + 1 that never reads, ${RATE} events/s offered until the server drops it (at most ${SLOW_SECONDS} s)`,
      ['server', 'RSS before MiB', 'peak RSS MiB', 'peak backlog MiB (buffered + queued)', 'stalled client', 'heap + external after, full GC, MiB'],
      slowRows,
    );
  }
}

try {
  await main();
} finally {
  cleanup();
}
