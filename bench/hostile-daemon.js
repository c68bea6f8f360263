// The daemons bench/hostile.js starts, and every process and temp dir it
// started: ended by pid (components by their process group) whatever happens.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { descendants } from './lib.js';

// ---- processes this bench started, ended whatever happens ----
export const started = { daemons: [], components: [], dirs: [], probe: null, loads: new Set() };

/** State, process group and start time of a pid (null when gone); the start time tells a reused pid apart. */
export function proc(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: Number(f[19]) };
  } catch {
    return null;
  }
}
export const same = (p) => {
  const now = proc(p.pid);
  return now !== null && now.start === p.start && now.state !== 'Z' ? now : null;
};

export function kill(p) {
  const now = same(p);
  if (!now) return;
  try {
    // A component leads its own process group: end the group (its children too).
    process.kill(now.pgid === p.pid && p.group ? -p.pid : p.pid, 'SIGKILL');
  } catch {}
}

export function cleanup() {
  started.probe?.kill('SIGKILL');
  started.probe = null;
  for (const l of started.loads) void l.stop();
  started.loads.clear();
  for (const d of started.daemons.splice(0)) kill(d);
  for (const c of started.components.splice(0)) kill(c);
  for (const dir of started.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// ---- the daemon ----
export function writeConfig(dir) {
  writeFileSync(
    join(dir, 'corral.yaml'),
    `version: 1
bus: { port: 0, retention: { events: 1000000 } }
components:
  sleeper: { command: ["sleep", "1000000"], ready_after: 0s }
  ticker: { command: ["/bin/sh", "-c", "while :; do echo tick; sleep 1; done"], ready_after: 0s }
`,
  );
}

export function startDaemon(build, dir) {
  const r = spawnSync(process.execPath, [build.bin, 'up', '-d', '--timeout', '120s', '-c', 'corral.yaml'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  let info = null;
  try {
    info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
  } catch {}
  const p = info && proc(info.pid);
  const d = p ? { pid: info.pid, start: p.start, port: info.port, dir, build } : null;
  if (d) started.daemons.push(d);
  if (r.status !== 0 || !d) throw new Error(`corral up -d (${build.label}) failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(-600)}`);
  // The components are the daemon's children (each leads its own process group).
  d.components = descendants(d.pid)
    .filter(({ pid }) => proc(pid)?.ppid === d.pid)
    .map(({ pid, start }) => ({ pid, start, group: true }));
  started.components.push(...d.components);
  return d;
}

export function stopDaemon(d) {
  if (same(d)) spawnSync(process.execPath, [d.build.bin, 'down', '--timeout', '30s', '-c', 'corral.yaml'], { cwd: d.dir, stdio: 'ignore', timeout: 60_000 });
  kill(d);
  for (const c of d.components) kill(c);
  forget(started.daemons, d);
  for (const c of d.components) forget(started.components, c);
}

function forget(list, item) {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

export function vm(pid, key) {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? (Number(m[1]) * 1024) / 1e6 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples VmRSS (MB) every 100 ms (and resets VmHWM); past `capMb` it kills the daemon so the shared machine keeps its memory. */
export function rssSampler(d, capMb) {
  let hwm = false;
  try {
    writeFileSync(`/proc/${d.pid}/clear_refs`, '5');
    hwm = true;
  } catch {}
  let peak = vm(d.pid, 'VmRSS');
  let killedAt = null;
  const timer = setInterval(() => {
    const mb = vm(d.pid, 'VmRSS');
    if (!(mb > 0)) return;
    peak = Math.max(peak, mb);
    if (mb > capMb && killedAt === null && same(d)) {
      killedAt = mb;
      process.kill(d.pid, 'SIGKILL');
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return { peak: Math.max(peak, hwm ? vm(d.pid, 'VmHWM') || 0 : 0), killedAt };
  };
}

export function get(port, path, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** The last line of the daemon's stderr or log that says why it ended. */
export function deathReason(dir) {
  const lines = [];
  for (const f of ['daemon.stderr', 'corral.log']) {
    try {
      lines.push(...readFileSync(join(dir, '.corral', 'logs', f), 'utf8').split('\n').slice(-400));
    } catch {}
  }
  const hit = lines.reverse().find((l) => /uncaught|RangeError|FATAL|out of memory|SqliteError|Error:/i.test(l));
  return hit ? hit.replace(/^\S+Z (?:out |err )?/, '').trim().slice(0, 160) : 'no reason in its log';
}
