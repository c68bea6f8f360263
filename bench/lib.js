// Shared helpers for the benchmarks: timing, medians, process trees, tables.
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const now = () => performance.now();

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `fn()` is truthy, polling; returns elapsed ms or Infinity on timeout. */
export async function waitFor(fn, timeoutMs = 30_000, everyMs = 5) {
  const t0 = now();
  while (now() - t0 < timeoutMs) {
    if (await fn()) return now() - t0;
    await sleep(everyMs);
  }
  return Infinity;
}

/** A UDP listener that collects the hellos of bench components. */
export async function helloServer() {
  const sock = createSocket('udp4');
  const waiters = [];
  const seen = [];
  sock.on('message', (buf) => {
    const msg = { ...JSON.parse(buf.toString()), at: now() };
    seen.push(msg);
    for (const w of [...waiters]) if (w.match(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(msg); }
  });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  return {
    port: sock.address().port,
    seen,
    next(match, timeoutMs = 30_000) {
      return new Promise((resolve) => {
        const w = { match, resolve };
        waiters.push(w);
        setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); resolve(null); } }, timeoutMs).unref();
      });
    },
    close: () => sock.close(),
  };
}

/** Every process: pid → { ppid, pgid, startTicks }. */
export function processTable() {
  const table = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // A zombie has ended; only its parent's (or init's) reaping is left.
      if (f[0] === 'Z') continue;
      table.set(Number(d), { ppid: Number(f[1]), pgid: Number(f[2]), start: Number(f[19]), utime: Number(f[11]), stime: Number(f[12]) });
    } catch {}
  }
  return table;
}

/** Descendants of `root` (not including it): [{pid, start}]. */
export function descendants(root) {
  const t = processTable();
  const children = new Map();
  for (const [pid, p] of t) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(pid);
  }
  const out = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop();
    out.push({ pid, start: t.get(pid).start });
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** How many of these processes (pid + start time) still exist. */
export function stillAlive(procs) {
  const t = processTable();
  return procs.filter((p) => t.get(p.pid)?.start === p.start).length;
}

export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU ticks (user + system) of one pid. */
export function cpuTicks(pid) {
  const p = processTable().get(pid);
  return p ? p.utime + p.stime : NaN;
}

/**
 * Times the threads of a process were switched in (voluntary and not), summed
 * over its threads: how often it woke up. Unlike its CPU ticks (10 ms each),
 * this counts every timer and every event it woke for, and a busy machine
 * does not inflate it much.
 */
export function wakeups(pid) {
  let n = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        n += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(s)?.[1] ?? 0);
      } catch {}
    }
  } catch {
    return NaN;
  }
  return n;
}

/** Wall time of a command, in ms. */
export function timeCommand(cmd, args, opts = {}) {
  const t0 = now();
  const r = spawnSync(cmd, args, { stdio: 'ignore', ...opts });
  const ms = now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

export function run(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

export function printTable(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

export function fmt(ms, digits = 0) {
  return Number.isFinite(ms) ? ms.toFixed(digits) : 'n/a';
}

export function machine() {
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/);
  return `${cpus ? cpus[1] : 'unknown CPU'}, ${execFileSync('nproc').toString().trim()} cores, Node ${process.version}`;
}

/** Load averages (1, 5, 15 min) as printed. */
export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * What else was running: a snapshot of every process's CPU ticks now; `.top(n, exclude)` later
 * names the `n` processes (command name, pid, % of a core) that used the most CPU since,
 * leaving out the pids of `exclude` (the bench's own processes) and their descendants.
 */
export function otherLoad() {
  const t0 = Date.now();
  const before = processTable();
  const busy0 = busyTicks();
  return {
    top(n = 5, exclude = [process.pid]) {
      const after = processTable();
      const hz = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
      const secs = (Date.now() - t0) / 1000;
      const mine = new Set(exclude);
      for (const pid of exclude) for (const d of descendants(pid)) mine.add(d.pid);
      const rows = [];
      for (const [pid, p] of after) {
        if (mine.has(pid)) continue;
        const b = before.get(pid);
        const ticks = p.utime + p.stime - (b && b.start === p.start ? b.utime + b.stime : 0);
        if (ticks <= 0) continue;
        let comm = '?';
        try {
          comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          // `node`, `sh`, `python3` alone say little: add what they run.
          const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
          const script = argv.slice(1).find((a) => !a.startsWith('-'));
          if (script) comm = `${comm} ${script.split('/').slice(-2).join('/').slice(0, 40)}`;
        } catch {}
        rows.push({ pid, comm, pct: (ticks / hz / secs) * 100 });
      }
      rows.sort((a, b) => b.pct - a.pct);
      const total = rows.reduce((s, r) => s + r.pct, 0);
      const all = ((busyTicks() - busy0) / hz / secs) * 100;
      return `all cores busy ${all.toFixed(0)} % of one core over ${secs.toFixed(0)} s (this bench included), ${total.toFixed(0)} % by other processes that outlived it; most: ${rows.slice(0, n).map((r) => `${r.comm} ${r.pct.toFixed(0)} %`).join(', ')}`;
    },
  };
}

/** CPU ticks of the whole machine spent busy (user, nice, system, irq, softirq, steal), from /proc/stat. */
function busyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
}
