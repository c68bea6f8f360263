// How long the daemon's event loop is held while 20 clients ask for a replay of a big store and
// never read (bench/hostile.js case a, in-process), this checkout against another build.
//
//   npx tsc -p tsconfig.build.json && node bench/replay-stall.js [--build DIR] [--runs 3] [--prefill-mb 100]
//
// Each run is a child process with the daemon's V8 flags (interpreted, src/cli/up.ts) that
// builds a real event store of --prefill-mb of ~50 KB events, starts the real server on it,
// connects 20 raw WebSocket clients asking for `?after=1` that never read, and for 8 s
// fires a 1 ms timer. Between two timer callbacks it reads the process's CPU time
// (process.cpuUsage): the longest such stretch is how long the loop was held by work, which
// other processes on a shared machine do not inflate (they make the wall-clock gaps longer,
// not the CPU ones); the wall-clock gaps are printed too. Builds alternate run by run.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machine, median, printTable } from './lib.js';

const FLAGS = ['--max-semi-space-size=2', '--v8-pool-size=1', '--no-opt', '--no-sparkplug'];

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]));
else await parent();

async function parent() {
  const { values } = parseArgs({ options: { build: { type: 'string' }, runs: { type: 'string', default: '3' }, 'prefill-mb': { type: 'string', default: '100' } } });
  const builds = [{ label: 'this checkout', root: resolve(import.meta.dirname, '..') }];
  if (values.build) builds.push({ label: values.build, root: resolve(values.build) });
  const results = new Map(builds.map((b) => [b.label, []]));
  for (let i = 0; i < Number(values.runs); i++) {
    for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
      const r = await new Promise((done, fail) => {
        const c = fork(import.meta.filename, ['--child', b.root, values['prefill-mb']], { execArgv: FLAGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        c.once('message', done);
        c.once('exit', (code) => fail(new Error(`${b.label}: the run exited with ${code}`)));
      });
      console.error(`${b.label}, run ${i + 1}: longest CPU stretch ${fmt(r.cpuMax, 1)} ms, longest wall gap ${fmt(r.wallMax, 1)} ms`);
      results.get(b.label).push(r);
    }
  }
  const rows = builds.map((b) => {
    const rs = results.get(b.label);
    const m = (k) => median(rs.map((r) => r[k]));
    return [b.label, `${fmt(m('cpuMax'), 1)} (${rs.map((r) => fmt(r.cpuMax, 0)).join(', ')})`, fmt(m('cpuP99'), 1), fmt(m('wallMax'), 1), fmt(m('wallP99'), 1), fmt(m('pages'))];
  });
  printTable(
    `20 replays of a ${values['prefill-mb']} MB store, never read: how long the loop was held (medians of ${values.runs} runs, builds alternating; ${machine()}). ms.`,
    ['build', 'longest CPU stretch (each run)', 'CPU stretch p99', 'longest wall gap', 'wall gap p99', 'initial pages sent'],
    rows,
  );
}

async function child(root, prefillMb) {
  const { createEventStore } = await import(join(root, 'dist/src/bus/store.js'));
  const { createBus } = await import(join(root, 'dist/src/bus/bus.js'));
  const { createServer } = await import(join(root, 'dist/src/server/index.js'));
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-replay-stall-'));
  try {
    const store = createEventStore({ file: join(dir, 'events.db'), retention: { events: 1e6, age: 1e12 } });
    const bus = createBus({ store, sessionId: 's' });
    const blob = 'x'.repeat(50_000);
    for (let i = 0; i < (prefillMb * 1e6) / 50_000; i++) {
      bus.publish({ event_type: 'bench.prefill', source: 'bench', session_id: 's', payload: { i, blob } });
      if (i % 200 === 0) await store.flush();
    }
    await store.flush();
    const server = await createServer({ bus, store, host: '127.0.0.1', port: 0, path: '/events', token: 't'.repeat(32), auth: 'local', allowedOrigins: [], maxPayload: 1 << 20, rateLimit: { rate: 1e4, burst: 2e4 }, heartbeatMs: 30_000, history: 100, controller: null, heartbeat: () => ({}) });
    const cpu = [];
    const wall = [];
    let lastCpu = process.cpuUsage();
    let lastWall = performance.now();
    const tick = setInterval(() => {
      const c = process.cpuUsage();
      const w = performance.now();
      cpu.push((c.user - lastCpu.user + c.system - lastCpu.system) / 1000);
      wall.push(w - lastWall);
      lastCpu = c;
      lastWall = w;
    }, 1);
    let pages = 0;
    const sockets = [];
    for (let i = 0; i < 20; i++) {
      const s = net.connect(server.port, '127.0.0.1', () => {
        s.write(`GET /events?after=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      });
      // Reads only until the start of the page, then never again.
      s.on('data', (d) => {
        if (d.includes('"type":"initial"')) {
          pages++;
          s.pause();
        }
      });
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 8000));
    clearInterval(tick);
    const p99 = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? NaN;
    process.send({ cpuMax: Math.max(...cpu), cpuP99: p99(cpu), wallMax: Math.max(...wall), wallP99: p99(wall), pages });
    for (const s of sockets) s.destroy();
    await server.close();
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
