// One WebSocket broadcast server for bench/bus.js, in its own process so it
// gets its own event loop (the publisher and the subscribers live elsewhere).
//
//   node bench/bus-server.js --kind bare|bare-zod|corral [--dir TMPDIR] [--root DIR]
//
// bare:     a `ws` WebSocketServer that relays each received message, as is, to
//           every other client: no parsing, no validation, no storage.
// bare-zod: the same, after JSON.parse + corral's own event check (completeEvent):
//           shows what parsing and validating alone cost.
// corral:   corral's bus (validation, redaction, SQLite store in --dir) behind
//           corral's server, wired as the daemon wires them, with the
//           per-connection rate limit raised out of the way. --root DIR takes
//           corral from another built checkout (DIR/dist), wired by this file.
//
// Talks to its parent over IPC: sends {ready, port}; answers {cmd:'stats'}
// with {stats:{rss, heap, external, backlog, clients}} (a full GC first if
// asked: {cmd:'stats', gc:true}, needs --expose-gc); exits on {cmd:'stop'} or when the parent goes.
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { kind: { type: 'string', default: 'bare' }, dir: { type: 'string' }, root: { type: 'string' } } });
const kind = values.kind;
/** How diagnostics name this server: its kind, and the other build's directory. */
const label = values.root ? `${kind}@${basename(resolve(values.root))}` : kind;
/** A module of the build under test: this checkout's dist, or --root's. */
const dist = (path) => (values.root ? pathToFileURL(resolve(values.root, 'dist', path)).href : `../dist/${path}`);
const MAX_PAYLOAD = 1024 * 1024;

async function startBare(validate) {
  const completeEvent = validate ? (await import('../dist/src/schema/events.js')).completeEvent : null;
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (completeEvent) {
        let ok = false;
        try {
          ok = completeEvent(JSON.parse(data.toString('utf8'))).ok;
        } catch {
          // Not JSON: dropped, like an invalid event.
        }
        if (!ok) return;
      }
      for (const c of wss.clients) if (c !== ws && c.readyState === c.OPEN) c.send(data, { binary: isBinary });
    });
  });
  await new Promise((r) => wss.once('listening', r));
  const backlog = () => {
    let n = 0;
    for (const c of wss.clients) n += c.bufferedAmount;
    return n;
  };
  return { port: wss.address().port, backlog, clients: () => wss.clients.size, pending: () => 0, close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }) };
}

async function startCorral(dir) {
  const { createEventStore } = await import(dist('src/bus/store.js'));
  const { createBus } = await import(dist('src/bus/bus.js'));
  const { createServer } = await import(dist('src/server/index.js'));
  const store = createEventStore({
    file: join(dir, 'events.db'),
    retention: { events: 100_000, age: 7 * 86_400_000 },
    // BUS_STORE_WORKER=0|1: write always on the main thread / always in the writer thread (default: the daemon's 'auto').
    ...(process.env.BUS_STORE_WORKER ? { worker: process.env.BUS_STORE_WORKER === '1' } : {}),
    // BUS_STORE_BATCH_MS=N: gather N ms of events per transaction (default: the daemon's).
    ...(process.env.BUS_STORE_BATCH_MS ? { batchMs: Number(process.env.BUS_STORE_BATCH_MS) } : {}),
  });
  // BUS_NOSTORE=1: the bus keeps no store (what the store costs, by difference).
  const bus = createBus({ ...(process.env.BUS_NOSTORE ? {} : { store }), sessionId: 'bench' });
  // As in the daemon: run with its flags (interpreter only), the compilers go on once the bus is busy.
  // BUS_INTERPRETED=1: they stay off (the interpreter's cost per event, alone).
  const { startAdaptiveJit } = await import(dist('src/daemon/adaptive-jit.js'));
  if (!process.env.BUS_INTERPRETED) startAdaptiveJit({ seq: () => bus.lastSeq(), onEnable: (rate, c) => console.error(`[corral] bus busy (${rate} events/s): compilers on (${c.join(' ')})`) });
  const server = await createServer({
    bus,
    store,
    host: '127.0.0.1',
    port: 0,
    token: 'bench-token',
    auth: 'local',
    allowedOrigins: [],
    maxPayload: MAX_PAYLOAD,
    // The default bus.rate_limit (a token bucket per connection) would close
    // the publisher long before saturation: raised so it never triggers.
    rateLimit: { rate: 1e9, burst: 1e9 },
    heartbeatMs: 30_000,
    history: 0,
    heartbeat: () => ({}),
  });
  return {
    port: server.port,
    backlog: () => server.backlog(),
    clients: () => server.clientCount(),
    // Events appended but not yet committed by the store's writer thread.
    pending: () => store.pending(),
    seq: () => bus.lastSeq(),
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

const server = kind === 'corral' ? await startCorral(values.dir) : await startBare(kind === 'bare-zod');

// Diagnostics over the latency run ({cmd:'trace', phase:'start'|'end'} from bench/bus.js):
// BUS_TRACE=1 prints the event loop's delay and the GC pauses to stderr;
// BUS_ALLOC=FILE writes a sampling allocation profile (garbage included; sum it by function).
const trace = { start() {}, end() {}, saturationStart() {}, saturationEnd() {} };
if (process.env.BUS_TRACE) {
  const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const gcs = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([e.detail?.kind ?? e.kind, e.duration]);
  }).observe({ entryTypes: ['gc'] });
  // Per thread: CPU time, time runnable but waiting for a CPU, and context switches (Linux).
  const { readdirSync, readFileSync } = await import('node:fs');
  const threads = () => {
    const out = {};
    try {
      for (const tid of readdirSync('/proc/self/task')) {
        const [cpu, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
        const num = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
        out[tid] = { name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), cpu, wait, vol: num('voluntary_ctxt_switches'), invol: num('nonvoluntary_ctxt_switches') };
      }
    } catch {}
    return out;
  };
  const threadRows = (before, events) =>
    Object.entries(threads())
      .map(([tid, a]) => [tid, a, before[tid] ?? { cpu: 0, wait: 0, vol: 0, invol: 0 }])
      .filter(([, a, b]) => a.cpu - b.cpu > 1e6)
      .map(([tid, a, b]) => `${a.name}(${tid}) cpu ${((a.cpu - b.cpu) / 1e6).toFixed(0)} ms${events ? ` (${((a.cpu - b.cpu) / 1e3 / events).toFixed(1)} µs per event)` : ''}, runnable-waiting ${((a.wait - b.wait) / 1e6).toFixed(0)} ms, switches ${a.vol - b.vol} voluntary / ${a.invol - b.invol} preempted`);
  let satBefore = {};
  let satSeq = 0;
  // The store's queue (events not yet committed), sampled every 5 ms: past 10,000 (ws-hub.ts storeHighWater) publishers wait.
  let backlogs = [];
  let sampler = null;
  trace.saturationStart = () => {
    satBefore = threads();
    satSeq = server.seq?.() ?? 0;
    backlogs = [];
    sampler = setInterval(() => backlogs.push(server.pending()), 5);
  };
  trace.saturationEnd = () => {
    clearInterval(sampler);
    const events = server.seq ? server.seq() - satSeq : 0;
    const over = backlogs.filter((b) => b > 5000).length / Math.max(1, backlogs.length);
    console.error(
      `[${label}] threads over the saturation window (${events} events): ${threadRows(satBefore, events).join('; ')}; ` +
        `store queue max ${Math.max(0, ...backlogs)}, over 5,000 in ${(over * 100).toFixed(0)} % of ${backlogs.length} samples`,
    );
  };
  let before = {};
  let seqBefore = 0;
  trace.start = () => {
    h.reset();
    gcs.length = 0;
    before = threads();
    seqBefore = server.seq?.() ?? 0;
  };
  trace.end = () => {
    const byKind = {};
    for (const [k, d] of gcs) {
      const b = (byKind[k] ??= { n: 0, total: 0, max: 0 });
      b.n++;
      b.total += d;
      b.max = Math.max(b.max, d);
    }
    const gc = Object.entries(byKind).map(([k, b]) => `kind ${k}: ${b.n}× ${b.total.toFixed(0)} ms, max ${b.max.toFixed(1)}`).join('; ');
    const rows = threadRows(before, server.seq ? server.seq() - seqBefore : 0);
    console.error(`[${label}] threads over the latency run: ${rows.join('; ')}`);
    console.error(`[${label}] event-loop delay ms p50 ${(h.percentile(50) / 1e6).toFixed(2)} p99 ${(h.percentile(99) / 1e6).toFixed(2)} max ${(h.max / 1e6).toFixed(2)}; GC ${gc}`);
  };
}
// BUS_PROF=DIR: a CPU profile of the main thread over each saturation window and
// each latency run, as DIR/BUILD-WINDOW-EVENTSev-PID.cpuprofile (EVENTS: published in the window).
if (process.env.BUS_PROF && server.seq) {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const post = (m, p = {}) => new Promise((r, j) => session.post(m, p, (e, v) => (e ? j(e) : r(v))));
  await post('Profiler.enable');
  const build = values.root ? basename(resolve(values.root)) : 'this';
  let seq0 = 0;
  const begin = () => {
    seq0 = server.seq();
    void post('Profiler.start');
  };
  const finish = (window) => {
    const events = server.seq() - seq0;
    void post('Profiler.stop').then(({ profile }) =>
      writeFileSync(join(process.env.BUS_PROF, `${build}-${window}-${events}ev-${process.pid}.cpuprofile`), JSON.stringify(profile)),
    );
  };
  const { start, end, saturationStart, saturationEnd } = trace;
  trace.saturationStart = () => {
    saturationStart();
    begin();
  };
  trace.saturationEnd = () => {
    saturationEnd();
    finish('saturation');
  };
  trace.start = () => {
    start();
    begin();
  };
  trace.end = () => {
    end();
    finish('latency');
  };
}
if (process.env.BUS_ALLOC) {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const post = (m, p = {}) => new Promise((r, j) => session.post(m, p, (e, v) => (e ? j(e) : r(v))));
  const { start, end } = trace;
  trace.start = () => {
    start();
    void post('HeapProfiler.enable').then(() =>
      post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }),
    );
  };
  trace.end = () => {
    end();
    void post('HeapProfiler.stopSampling').then(({ profile }) => writeFileSync(process.env.BUS_ALLOC, JSON.stringify(profile)));
  };
}

async function stop() {
  await Promise.race([server.close(), new Promise((r) => setTimeout(r, 2000))]);
  process.exit(0);
}

process.on('message', (msg) => {
  if (msg.cmd === 'trace') {
    trace[msg.phase]?.();
  } else if (msg.cmd === 'stats') {
    // With --expose-gc: live memory, not garbage a major GC has not reached yet.
    if (msg.gc) globalThis.gc?.();
    const m = process.memoryUsage();
    process.send({ stats: { rss: m.rss, heap: m.heapUsed, external: m.external, backlog: server.backlog(), clients: server.clients(), pending: server.pending() } });
  } else if (msg.cmd === 'stop') void stop();
});
process.on('disconnect', () => void stop());
process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop());
process.send({ ready: true, port: server.port });
