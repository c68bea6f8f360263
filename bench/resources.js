// Resource sampling cost: corral's one-pass /proc tree sampler next to pidusage,
// over the same 100 running components (each a parent + 1 child), in one run.
//
//   npm run build && node bench/resources.js [--components 100] [--seconds 20] [--interval 2000] [--no-daemon]
//
// Each method runs in its own Node process, all of them at the same time over
// the same components (so machine load hits them alike), sampling every
// `interval` ms for `seconds` s after two unmeasured warm-up passes. Reported:
// the CPU that whole process used over the window (percent of one core, from
// process.cpuUsage: every thread, timers and GC included), and the median wall
// time and CPU time of one pass. pidusage is handed the 200 pids up front,
// while corral's sampler finds each tree itself (reading every process on the
// machine on its first pass): the comparison favours pidusage on work done.
//
// Then the real thing: two corral daemons (`corral up -d`), each running its
// own 100 such components, one sampling every `interval` ms (with the default
// thresholds judged, memory and cpu set so that nothing fires), one with
// sampling off, measured over the same window from /proc/PID/stat: the
// difference is what sampling costs the daemon.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuTicks, fmt, machine, median, now, printTable, sleep } from './lib.js';
import { createTreeSampler } from '../dist/src/resources/sampler.js';
import { createResourceMonitor } from '../dist/src/resources/monitor.js';

const require = createRequire(import.meta.url);
const pidusage = require('pidusage');

const { values } = parseArgs({
  options: {
    components: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    interval: { type: 'string', default: '2000' },
    worker: { type: 'string' },
    offset: { type: 'string', default: '0' },
    'no-daemon': { type: 'boolean', default: false },
  },
});
const COMPONENTS = Number(values.components);
const WINDOW_MS = Number(values.seconds) * 1000;
const INTERVAL_MS = Number(values.interval);

const groups = [];
const workers = [];
function cleanup() {
  for (const w of workers.splice(0)) w.kill('SIGKILL');
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

/** Pids whose parent is `pid` (a one-off scan, setup only). */
function childrenOf(pid) {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {
      // Exited.
    }
  }
  return out;
}

async function startComponents(n) {
  for (let i = 0; i < n; i++) {
    // A parent shell with one child, leading its own group as a component does.
    const child = spawn('sh', ['-c', 'sleep 1000 & wait'], { detached: true, stdio: 'ignore' });
    groups.push(child.pid);
    child.unref();
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const trees = groups.map((pid) => [pid, ...childrenOf(pid)]);
    if (trees.every((t) => t.length === 2)) return trees;
    if (Date.now() > deadline) throw new Error('components did not all start their child within 30 s');
    await sleep(100);
  }
}

/** Runs `pass` every interval for the window; returns CPU % of a core and per-pass medians. */
async function measure(pass) {
  // Two passes first, so compilation and the previous method's garbage stay out of the window.
  for (let i = 0; i < 2; i++) {
    await pass();
    await sleep(INTERVAL_MS / 2);
  }
  const wall = [];
  const cpu = [];
  const c0 = process.cpuUsage();
  const t0 = now();
  while (now() - t0 < WINDOW_MS) {
    const p0 = now();
    const u0 = process.cpuUsage();
    await pass();
    const u = process.cpuUsage(u0);
    wall.push(now() - p0);
    cpu.push((u.user + u.system) / 1000);
    await sleep(INTERVAL_MS - (now() - p0));
  }
  const elapsedUs = (now() - t0) * 1000;
  const c = process.cpuUsage(c0);
  return {
    cpuPercent: ((c.user + c.system) / elapsedUs) * 100,
    wallMs: median(wall),
    cpuMs: median(cpu),
    passes: wall.length,
  };
}

/** The sampling passes, by method; `trees` lists each component's pids, root first. */
function methods(trees) {
  const allPids = trees.flat();
  const roots = new Map(trees.map((t, i) => [`c${i}`, [t[0]]]));
  const sampler = createTreeSampler();
  const targets = trees.map((t, i) => ({
    name: `c${i}`,
    pids: [t[0]],
    limits: { memory: { warning: 512 * 1024 * 1024, critical: 1024 * 1024 * 1024 }, cpu: { warning: 80, critical: 95, for: 30_000 } },
    onCritical: 'alert',
  }));
  const monitor = createResourceMonitor({
    bus: { publish: () => ({ ok: true }), publishError: () => ({ ok: true }), sessionId: 'bench' },
    interval: INTERVAL_MS,
    samples: 3,
    getTargets: () => targets,
    onRestart: async () => {},
    self: () => ({ active_connections: 0, event_queue_size: 0 }),
    setSample: () => {},
  });
  return {
    sampler: {
      label: 'corral tree sampler (one /proc pass, finds the trees)',
      pass: () => {
        const s = sampler.sample(roots);
        const counted = [...s.values()].reduce((n, t) => n + t.pids.length, 0);
        if (counted !== allPids.length) throw new Error(`sampler counted ${counted} pids, expected ${allPids.length}`);
      },
    },
    monitor: { label: `corral monitor pass (sample + judge ${trees.length + 1} trees)`, pass: () => monitor.sampleNow() },
    naive: {
      label: `pidusage, one call per pid (${allPids.length} calls)`,
      pass: () => Promise.all(allPids.map((pid) => pidusage(pid))),
    },
    batched: { label: `pidusage, one call with all ${allPids.length} pids`, pass: () => pidusage(allPids) },
    idle: { label: 'idle process (the timer alone, for reference)', pass: () => {} },
  };
}

/** One method in its own process: reads the trees from stdin, prints its result as JSON. */
async function runWorker(name) {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const method = methods(JSON.parse(input))[name];
  if (!method) throw new Error(`unknown method ${name}`);
  // Workers pass at staggered moments, so they do not compete for the two cores in the same instant.
  await sleep(Number(values.offset));
  const result = await measure(method.pass);
  process.stdout.write(JSON.stringify({ label: method.label, ...result }));
}

function startWorker(name, trees, offset) {
  const args = ['--worker', name, '--seconds', values.seconds, '--interval', values.interval, '--offset', String(offset)];
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  workers.push(child);
  child.stdin.end(JSON.stringify(trees));
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker ${name} exited with ${code}`))));
  });
}

async function main() {
  const trees = await startComponents(COMPONENTS);
  const processes = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  console.log(`${machine()}; ${COMPONENTS} components (${trees.flat().length} pids), ${processes} processes on the machine`);
  console.log(`each method in its own process, all at once: a pass every ${INTERVAL_MS} ms for ${WINDOW_MS / 1000} s`);
  const names = ['sampler', 'monitor', 'naive', 'batched', 'idle'];
  const results = await Promise.all(names.map((n, i) => startWorker(n, trees, Math.round((i * INTERVAL_MS) / names.length))));
  printTable(
    `Sampling ${COMPONENTS} components every ${INTERVAL_MS / 1000} s (medians of ${results[0].passes} passes each)`,
    ['method', 'CPU % of a core', 'ms per pass (wall)', 'CPU ms per pass'],
    results.map((r) => [r.label, fmt(r.cpuPercent, 3), fmt(r.wallMs, 2), fmt(r.cpuMs, 2)]),
  );
}

const corralBin = resolve(import.meta.dirname, '..', 'bin', 'corral.js');
const daemonDirs = [];
function downDaemons() {
  for (const dir of daemonDirs.splice(0)) {
    spawnSync(process.execPath, [corralBin, 'down', '-c', join(dir, 'corral.yaml')], { stdio: 'ignore', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  }
}
process.on('exit', downDaemons);

/** A daemon (corral up -d) with COMPONENTS parent+child components; returns its pid. */
function startDaemon(sampling) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-res-'));
  daemonDirs.push(dir);
  const lines = [
    'version: 1',
    'bus: { port: 0 }',
    sampling ? `resources: { enabled: true, interval: ${INTERVAL_MS}ms, memory: { warning: 1GB, critical: 2GB }, cpu: { warning: 90, critical: 99, for: 10s } }` : 'resources: { enabled: false }',
    'components:',
  ];
  for (let i = 0; i < COMPONENTS; i++) lines.push(`  c${i}: { command: ["/bin/sh", "-c", "sleep 1000000 & wait"] }`);
  writeFileSync(join(dir, 'corral.yaml'), lines.join('\n') + '\n');
  const r = spawnSync(process.execPath, [corralBin, 'up', '-d', '--timeout', '120s', '-c', join(dir, 'corral.yaml')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`corral up -d failed: ${r.stderr}`);
  return JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')).pid;
}

async function daemonBench() {
  const on = startDaemon(true);
  const off = startDaemon(false);
  // Past start-up and the garbage collections that follow it: with sampling on the daemon is
  // never quite idle, and V8's memory reducer runs its last collections ~30 s after start.
  await sleep(45_000);
  const t0 = now();
  const c0 = [cpuTicks(on), cpuTicks(off)];
  await sleep(WINDOW_MS);
  const secs = (now() - t0) / 1000;
  const pct = (pid, i) => ((cpuTicks(pid) - c0[i]) / 100 / secs) * 100;
  const rows = [
    [`corral daemon, sampling every ${INTERVAL_MS / 1000} s`, fmt(pct(on, 0), 2)],
    ['corral daemon, sampling off', fmt(pct(off, 1), 2)],
  ];
  downDaemons();
  printTable(`The daemon itself: ${COMPONENTS} components each, measured side by side over ${WINDOW_MS / 1000} s (CPU from /proc/PID/stat, 10 ms ticks)`, ['daemon', 'CPU % of a core'], rows);
}

(values.worker ? runWorker(values.worker) : main().then(() => (values['no-daemon'] ? undefined : daemonBench())))
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
