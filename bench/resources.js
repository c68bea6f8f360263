// Resource sampling cost: corral's one-pass /proc tree sampler next to pidusage,
// over the same 100 running components (each a parent + 1 child), in one run.
//
//   npm run build && node bench/resources.js [--components 100] [--seconds 20] [--interval 2000]
//
// Each method samples every `interval` ms for `seconds` s, one after the other.
// Reported: CPU of the sampling process over the window (percent of one core,
// from process.cpuUsage deltas; includes timers and GC), and the median wall
// time and CPU time of one pass. pidusage is handed the 200 pids up front,
// while corral's sampler discovers each tree itself (and reads every process
// on the machine to do so): the comparison favours pidusage on work done.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { fmt, machine, median, printTable, sleep } from './lib.js';
import { createTreeSampler } from '../dist/src/resources/sampler.js';
import { createResourceMonitor } from '../dist/src/resources/monitor.js';

const require = createRequire(import.meta.url);
const pidusage = require('pidusage');

const { values } = parseArgs({
  options: {
    components: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
    interval: { type: 'string', default: '2000' },
  },
});
const COMPONENTS = Number(values.components);
const WINDOW_MS = Number(values.seconds) * 1000;
const INTERVAL_MS = Number(values.interval);

const groups = [];
function cleanup() {
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
  const wall = [];
  const cpu = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < WINDOW_MS) {
    const p0 = performance.now();
    const u0 = process.cpuUsage();
    await pass();
    const u = process.cpuUsage(u0);
    wall.push(performance.now() - p0);
    cpu.push((u.user + u.system) / 1000);
    await sleep(INTERVAL_MS - (performance.now() - p0));
  }
  const elapsedUs = (performance.now() - t0) * 1000;
  const c = process.cpuUsage(c0);
  return {
    cpuPercent: ((c.user + c.system) / elapsedUs) * 100,
    wallMs: median(wall),
    cpuMs: median(cpu),
    passes: wall.length,
  };
}

async function main() {
  const trees = await startComponents(COMPONENTS);
  const allPids = trees.flat();
  const processes = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  console.log(`${machine()}; ${COMPONENTS} components (${allPids.length} pids), ${processes} processes on the machine`);
  console.log(`each method: a pass every ${INTERVAL_MS} ms for ${WINDOW_MS / 1000} s, one after the other`);

  const roots = new Map(trees.map((t, i) => [`c${i}`, [t[0]]]));
  const sampler = createTreeSampler();
  const rows = [];

  const check = sampler.sample(roots);
  const counted = [...check.values()].reduce((n, s) => n + s.pids.length, 0);
  if (counted !== allPids.length) throw new Error(`sampler counted ${counted} pids, expected ${allPids.length}`);

  const r0 = await measure(() => sampler.sample(roots));
  rows.push(['corral tree sampler (one /proc pass, trees found)', r0]);

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
  const r1 = await measure(() => monitor.sampleNow());
  rows.push(['corral monitor pass (sample + judge 101 trees)', r1]);

  const r2 = await measure(() => Promise.all(allPids.map((pid) => pidusage(pid))));
  pidusage.clear();
  rows.push([`pidusage, one call per pid (${allPids.length} calls)`, r2]);

  const r3 = await measure(() => pidusage(allPids));
  pidusage.clear();
  rows.push([`pidusage, one call with all ${allPids.length} pids`, r3]);

  const r4 = await measure(() => {});
  rows.push(['idle (the timer alone, for reference)', r4]);

  printTable(
    `Sampling ${COMPONENTS} components every ${INTERVAL_MS / 1000} s (medians of ${r0.passes} passes each)`,
    ['method', 'CPU % of a core', 'ms per pass (wall)', 'CPU ms per pass'],
    rows.map(([name, r]) => [name, fmt(r.cpuPercent, 3), fmt(r.wallMs, 2), fmt(r.cpuMs, 2)]),
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
