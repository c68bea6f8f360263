// corral vs PM2 vs supervisord, measured side by side in one run on this machine.
//
//   npm run build && node bench/supervisor.js [--runs 5] [--idle 100] [--only corral,PM2] [--fixture bash|node]
//       [--build DIR] [--rounds 1] [--no-everyday]   (--only everyday: corral's everyday rows alone)
//
// What it measures, for each tool, with its daemon in a private temp dir:
//   crash → new pid   kill -9 of a component until its replacement says hello (restart delay 0)
//   stop 20           `stop` of 20 `sh -c 'hello & sleep & sleep; wait'` trees: the command's time,
//                     the time until every process of the 20 trees is gone, and how many are left
//   start 20          `start` of the 20 stopped components until all 20 said hello
//   status            one status round trip (`corral ps --json`, `pm2 jlist`, `supervisorctl status`)
//   idle              daemon CPU over 20 s and RSS after it, with 100 idle children, once 45 s have
//                     passed since they started (corral: resource sampling off) [--settle S] [--idle-window S]
//
// The components are the same for every tool. By default a component is a bash one-liner that says
// hello over UDP (`printf … > /dev/udp/…`) and execs `sleep`, so the figures are the supervisors'
// own costs; `--fixture node` uses bench/fixtures/hello.js instead, which adds Node's start-up
// (about 50-100 ms of CPU per component) to every start and crash figure.
//
// Old against new: `--build DIR` adds corral from another built checkout (DIR/bin/corral.js,
// `npx tsc -p tsconfig.build.json` run there) as the tool `corral@DIR`; `--rounds N` runs every
// tool's whole sequence N times, the tools' order reversed every other round (so a machine that
// gets busier or quieter during the run favours neither), and prints the medians of the rounds
// and each figure of this checkout's corral divided by the other build's.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { corralTool, pm2Tool, supervisordTool } from './tools.js';
import { everydayBench } from './everyday.js';
import { cpuTicks, descendants, fmt, helloServer, machine, median, now, printTable, rssMb, sleep, stillAlive, waitFor, wakeups } from './lib.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 5));
const IDLE = Number(opt('idle', 100));
const SETTLE_MS = Number(opt('settle', 45)) * 1000;
const IDLE_MS = Number(opt('idle-window', 20)) * 1000;
const ONLY = opt('only', 'corral,PM2,supervisord').split(',');
const FIXTURE = opt('fixture', 'bash');
const BUILD = opt('build', null);
const ROUNDS = Math.max(1, Number(opt('rounds', 1)));
const other = BUILD ? { root: resolve(BUILD), label: basename(resolve(BUILD)) } : null;
const helloJs = resolve(import.meta.dirname, 'fixtures', 'hello.js');
// A replica (bench/everyday.js) has no BENCH_NAME of its own: it says its CORRAL_COMPONENT.
const HELLO_SH = `printf '{"name":"%s","pid":%d}' "\${BENCH_NAME:-$CORRAL_COMPONENT}" $$ > /dev/udp/127.0.0.1/$BENCH_UDP_PORT`;
/** A component that says hello once started and then idles, as an argv. */
const helloArgv = () => (FIXTURE === 'node' ? [process.execPath, helloJs] : ['/bin/bash', '-c', `${HELLO_SH}; exec sleep 1000000`]);
/** A tree: the hello component and two sleeps under one shell. */
const treeArgv = () =>
  FIXTURE === 'node'
    ? ['/bin/sh', '-c', `${process.execPath} ${helloJs} & sleep 1000 & sleep 1000 & wait`]
    : ['/bin/bash', '-c', `(${HELLO_SH}; exec sleep 1000000) & sleep 1000000 & sleep 1000000 & wait`];

const server = await helloServer();
const env = (name) => ({ BENCH_UDP_PORT: String(server.port), BENCH_NAME: name });
const results = {};
const cleanups = [];
process.on('SIGINT', async () => {
  for (const c of cleanups) await c();
  process.exit(130);
});

async function withTool(make, body) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-'));
  const tool = make(dir);
  if (tool.available && !tool.available()) {
    console.error(`${tool.name}: not available, skipped`);
    return;
  }
  if (!ONLY.includes(tool.name.split('@')[0])) return;
  const cleanup = async () => {
    await tool.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.push(cleanup);
  try {
    await body(tool);
  } finally {
    await cleanup();
    cleanups.splice(cleanups.indexOf(cleanup), 1);
  }
}

/** Tears the tool down, then ends whatever of its process trees it left behind (supervisord and PM2 leave grandchildren). */
async function teardownClean(tool) {
  let procs = [];
  try {
    procs = descendants(tool.daemonPid());
  } catch {}
  await tool.teardown();
  await waitFor(() => stillAlive(procs) === 0, 3000, 20);
  for (const p of procs) {
    if (stillAlive([p]) === 0) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {}
  }
}

async function crashBench(tool) {
  const name = 'crasher';
  const first = server.next((m) => m.name === name, 60_000);
  tool.setup([{ name, argv: helloArgv(), env: env(name) }]);
  const hello = await first;
  if (!hello) throw new Error(`${tool.name}: the first component never said hello`);
  let pid = hello.pid;
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    await sleep(300);
    const next = server.next((m) => m.name === name && m.pid !== pid, 15_000);
    const t0 = now();
    process.kill(pid, 'SIGKILL');
    const msg = await next;
    if (!msg) break;
    times.push(msg.at - t0);
    pid = msg.pid;
  }
  await teardownClean(tool);
  return median(times);
}

async function startStopBench(tool) {
  const names = Array.from({ length: 20 }, (_, i) => `tree${i}`);
  const comps = names.map((n) => ({ name: n, argv: treeArgv(), env: env(n) }));
  let ready = Promise.all(names.map((n) => server.next((m) => m.name === n, 60_000)));
  tool.setup(comps);
  await ready;
  const daemon = tool.daemonPid();
  const stop = [], gone = [], left = [], start = [], status = [];
  for (let i = 0; i < Math.max(1, Math.min(RUNS, 3)); i++) {
    await sleep(500);
    const procs = descendants(daemon);
    const t0 = now();
    stop.push(tool.stop(names));
    const all = await waitFor(() => stillAlive(procs) === 0, 10_000, 2);
    gone.push(all === Infinity ? Infinity : now() - t0);
    const leftover = procs.filter((p) => stillAlive([p]) === 1);
    left.push(`${leftover.length}/${procs.length}`);
    for (const p of leftover) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
    ready = Promise.all(names.map((n) => server.next((m) => m.name === n, 60_000)));
    const t1 = now();
    tool.start(names);
    const got = await ready;
    start.push(got.every(Boolean) ? Math.max(...got.map((m) => m.at)) - t1 : Infinity);
  }
  for (let i = 0; i < 10; i++) status.push(tool.status());
  await teardownClean(tool);
  return { stop: median(stop), gone: median(gone), left: left.join(' '), start: median(start), status: median(status) };
}

async function idleBench(tool) {
  const names = Array.from({ length: IDLE }, (_, i) => `idle${i}`);
  const ready = Promise.all(names.map((n) => server.next((m) => m.name === n, 120_000)));
  tool.setup(names.map((n) => ({ name: n, argv: helloArgv(), env: env(n) })));
  await ready;
  const pid = tool.daemonPid();
  // Steady state: past start-up and the garbage collections that follow it. V8's memory reducer
  // (three full collections, ~140 ms of CPU for corral's daemon) runs 8 to ~25 s after a Node
  // daemon goes quiet; inside the window it alone would read as 0.7 % "idle" CPU.
  await sleep(SETTLE_MS);
  const c0 = cpuTicks(pid);
  const w0 = wakeups(pid);
  const t0 = now();
  await sleep(IDLE_MS);
  const seconds = (now() - t0) / 1000;
  const cpu = ((cpuTicks(pid) - c0) / 100 / seconds) * 100;
  const wake = (wakeups(pid) - w0) / seconds;
  const rss = rssMb(pid);
  await teardownClean(tool);
  return { rss, cpu, wake };
}

const makers = [corralTool, ...(other ? [(dir) => corralTool(dir, other)] : []), pm2Tool, supervisordTool];
for (let round = 0; round < ROUNDS; round++) {
  for (const make of round % 2 === 0 ? makers : [...makers].reverse()) {
    await withTool(make, async (tool) => {
      const tag = `${tool.name}${ROUNDS > 1 ? ` (round ${round + 1}/${ROUNDS})` : ''}`;
      console.error(`${tag}: crash…`);
      const crash = await crashBench(tool);
      console.error(`${tag}: start/stop/status…`);
      const ss = await startStopBench(tool);
      console.error(`${tag}: idle with ${IDLE} children…`);
      const idle = await idleBench(tool);
      (results[tool.name] ??= []).push({ crash, ...ss, ...idle });
    });
  }
}
let everyday = null;
if ((ONLY.includes('corral') || ONLY.includes('everyday')) && !args.includes('--no-everyday')) {
  console.error('corral: replicas, watch…');
  everyday = await everydayBench({ server, runs: RUNS, argv: helloArgv(), settleMs: SETTLE_MS, idleMs: IDLE_MS });
}
server.close();

const FIELDS = ['crash', 'stop', 'gone', 'start', 'status', 'rss', 'cpu', 'wake'];
/** Per tool, the median of each figure over the rounds (`left` joined). */
const merged = Object.fromEntries(
  Object.entries(results).map(([name, rs]) => [name, { ...Object.fromEntries(FIELDS.map((f) => [f, median(rs.map((r) => r[f]))])), left: rs.map((r) => r.left).join(' ') }]),
);
const rows = Object.entries(merged).map(([name, r]) => [
  name,
  fmt(r.crash),
  fmt(r.stop),
  fmt(r.gone),
  r.left,
  fmt(r.start),
  fmt(r.status),
  fmt(r.rss, 1),
  fmt(r.cpu, 2),
  fmt(r.wake, 1),
]);
printTable(
  `Supervisors side by side (medians of ${RUNS} runs${ROUNDS > 1 ? `, then of ${ROUNDS} rounds` : ''}; ${FIXTURE} fixture; ${machine()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end). Times in ms.`,
  ['tool', 'crash→new pid', 'stop 20 (cmd)', 'stop 20 (all gone)', 'left behind', 'start 20', 'status', `RSS MB (${IDLE} idle)`, `idle CPU %`, 'idle wakeups/s'],
  rows,
);
if (other && merged.corral && merged[`corral@${other.label}`]) {
  const a = merged.corral;
  const b = merged[`corral@${other.label}`];
  const ratio = (f) => (b[f] > 0 ? `${((a[f] / b[f] - 1) * 100).toFixed(0)} %` : a[f] > 0 ? 'new > 0' : '=');
  printTable(
    `corral (this checkout) against corral@${other.label}: this one's median minus the other's, relative to the other's`,
    ['crash→new pid', 'stop 20 (cmd)', 'stop 20 (all gone)', 'start 20', 'status', 'RSS', 'idle CPU', 'idle wakeups'],
    [FIELDS.map(ratio)],
  );
}
if (everyday) {
  printTable(
    `corral's everyday features (medians of ${RUNS} runs; ${FIXTURE} fixture). Times in ms.`,
    ['start replicas: 20', 'start 20 entries', 'replicas ÷ entries', 'watch 10k files: idle CPU %', 'idle wakeups/s', 'watch: change→new pid (200 ms debounce)'],
    [[fmt(everyday.replicas), fmt(everyday.entries), `${(everyday.replicas / everyday.entries).toFixed(2)}×`, fmt(everyday.watchCpu, 2), fmt(everyday.watchWake, 1), fmt(everyday.watchChange)]],
  );
  console.log(`\neach run, in the order taken: replicas ${everyday.replicaRuns.map((t) => fmt(t)).join(', ')}; entries ${everyday.entryRuns.map((t) => fmt(t)).join(', ')}`);
}
