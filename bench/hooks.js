// One Claude Code hook's cost to Claude Code, side by side, against a real daemon.
//
//   npm run build && node bench/hooks.js [--seconds 10] [--rate 50] [--runs 30] [--warmup 3]
//       [--old DIR] [--only http,process] [--observability DIR]
//
// A daemon is started with the built CLI (`corral up -d`, `bus: { port: 0 }`, the event
// store on, as by default) in a temp project; with `--old DIR` (another checkout, built)
// a second daemon from DIR beside it, so old and new are measured in the same run.
//
// http: what an `"type": "http"` hook costs: POST /hooks/PreToolUse of a typical body
//   (~600 bytes), client-side round trip, answer read. --rate hooks/s to each target for
//   --seconds, the targets interleaved (target k's request a k/n share of the period after
//   target 0's), first a new connection each time (as a client that keeps none would), then
//   with connections kept alive. Targets: corral (this build), corral (--old), and the floor:
//   a bare Node http server (bench/hooks-bare.js) that parses the body and answers `{}`, with
//   the daemon's V8 flags (interpreted, as an idle daemon runs) and with Node's defaults.
// process: the hook as a process Claude Code starts, whole process with the body on stdin,
//   --runs rounds after --warmup, every case once per round in turn (hyperfine-like,
//   interleaved, so the machine's load falls on all of them alike):
//     node -e ""               Node's own start-up: the floor of any Node hook
//     bin/corral hook          the `corral` command as Claude Code runs it (this build: the
//                              bundle dist/corral-hook.cjs, scripts/build-hook.js)
//     node dist/corral-hook.cjs  the bundle without the sh script
//     node bin/corral.js hook  the whole CLI's ES modules (the path before the bundle)
//     DIR/bin/corral hook      --old's `corral` command
//     curl                     a bare `curl -s -d @- URL/hooks/PreToolUse`
//     send_event.py            the observability project's `.claude/hooks/send_event.py`
//                              under python3 (`--observability DIR`) posting to POST /events
// Targets: http p50 < 2 ms and p99 < 10 ms at 50 hooks/s with the store on; `corral hook`
// p50 < 60 ms (on a loaded machine read it as what it adds to `node -e ""`). The machine's
// load average and the processes that kept it busy are printed with the tables. Every
// process the bench starts is ended, and the temp dirs removed, on errors too.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { fmt, loadAverage, machine, median, now, otherLoad, printTable, sleep } from './lib.js';

const root = resolve(import.meta.dirname, '..');
const USAGE = 'usage: node bench/hooks.js [--seconds 10] [--rate 50] [--runs 30] [--warmup 3] [--old DIR] [--only http,process] [--observability DIR]';
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    runs: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    old: { type: 'string' },
    only: { type: 'string', default: 'http,process' },
    observability: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const only = new Set(values.only.split(','));
const fail = (msg) => {
  process.stderr.write(`bench/hooks.js: ${msg}\n${USAGE}\n`);
  process.exit(2);
};
if (!(seconds > 0 && rate > 0 && runs > 0 && warmup >= 0)) fail('--seconds, --rate and --runs take positive numbers, --warmup zero or more');
if (![...only].every((o) => o === 'http' || o === 'process')) fail('--only takes http, process or both');
if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js')) || !existsSync(join(root, 'dist', 'corral-hook.cjs'))) fail('build first: npm run build (or npx tsc -p tsconfig.build.json && node scripts/build-hook.js)');
const oldRoot = values.old ? resolve(values.old) : null;
if (oldRoot && !existsSync(join(oldRoot, 'dist', 'src', 'cli', 'main.js'))) fail(`--old ${values.old}: no built CLI there (dist/src/cli/main.js)`);
const { DAEMON_V8_FLAGS } = await import(join(root, 'dist', 'src', 'cli', 'up.js'));

const body = JSON.stringify({
  session_id: '7f3c2a1e-5b4d-4e8f-9a0b-1c2d3e4f5a6b',
  transcript_path: '/home/user/.claude/projects/-home-user-proj/7f3c2a1e-5b4d-4e8f-9a0b-1c2d3e4f5a6b.jsonl',
  cwd: '/home/user/proj',
  permission_mode: 'default',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command: 'npm test -- --reporter=dot test/unit/bus/filter.test.ts', description: 'Run the filter unit tests', timeout: 120000 },
  tool_use_id: 'toolu_01ABCDEFGHIJKLMNOPQRSTUV',
});

const pct = (v, p) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

function post(port, path, text, agent) {
  return new Promise((ok, bad) => {
    const t0 = now();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (out += c));
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? ok(now() - t0) : bad(new Error(`HTTP ${res.statusCode}: ${out}`))));
    });
    req.on('error', bad);
    req.end(text);
  });
}

/** `rate` hooks a second to each target for `seconds`, interleaved; each on its own schedule (a slow answer delays no other). */
async function httpRound(targets, keepAlive) {
  const agents = targets.map(() => (keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 8 }) : false));
  const times = targets.map(() => []);
  const period = 1000 / rate;
  const total = Math.round(rate * seconds);
  const pending = [];
  const t0 = now();
  for (let i = 0; i < total; i++) {
    for (let k = 0; k < targets.length; k++) {
      const wait = t0 + i * period + (k * period) / targets.length - now();
      if (wait > 0) await sleep(wait);
      pending.push(post(targets[k].port, '/hooks/PreToolUse', body, agents[k]).then((ms) => times[k].push(ms)));
    }
  }
  await Promise.all(pending);
  for (const a of agents) if (a) a.destroy();
  return times;
}

const HZ = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;

/** CPU ticks of this process's waited-for children (cutime + cstime): what a child used once spawnSync has reaped it. */
function childTicks() {
  const f = readFileSync('/proc/self/stat', 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[13]) + Number(rest[14]);
}

/**
 * Every case once per round, in turn, `warmup` rounds not counted: the whole process's wall
 * time, and its CPU time (user + system, its children included), which another process's load
 * slows much less than the wall time (in ticks of 1/HZ s: read the mean, not the median).
 */
function processRounds(cases) {
  const times = cases.map(() => []);
  const cpu = cases.map(() => []);
  for (let round = 0; round < warmup + runs; round++) {
    for (let k = 0; k < cases.length; k++) {
      const { cmd, args, opts } = cases[k];
      const c0 = childTicks();
      const t0 = now();
      const r = spawnSync(cmd, args, { input: body, stdio: ['pipe', 'ignore', 'pipe'], timeout: 30_000, ...opts });
      const ms = now() - t0;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
      if (round >= warmup) {
        times[k].push(ms);
        cpu[k].push(((childTicks() - c0) * 1000) / HZ);
      }
    }
  }
  return { times, cpu };
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

const dirs = [];
const daemons = [];
const children = [];
// Without NODE_EXTRA_CA_CERTS, as bin/corral starts `hook` (and as node -e is then the floor of it).
const { NODE_EXTRA_CA_CERTS: _ca, ...plainEnv } = process.env;
const env = { ...plainEnv, NO_COLOR: '1' };

/** `corral up -d` of the build at `from` in a new temp project: its dir, port and pid. */
function startDaemon(from, label) {
  const dir = mkdtempSync(join(tmpdir(), `corral-bench-hooks-${label}-`));
  dirs.push(dir);
  writeFileSync(join(dir, 'corral.yaml'), 'version: 1\nbus: { port: 0 }\nresources: { enabled: false }\n');
  const denv = { ...env, XDG_STATE_HOME: join(dir, 'xdg') };
  const up = spawnSync(process.execPath, [join(from, 'bin', 'corral.js'), 'up', '-d'], { cwd: dir, env: denv, encoding: 'utf8', timeout: 60_000 });
  if (up.status !== 0) throw new Error(`${label}: corral up -d failed: ${up.stderr}`);
  const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
  daemons.push({ from, dir, env: denv, pid: info.pid });
  return { label, dir, env: denv, port: info.port, pid: info.pid };
}

/** bench/hooks-bare.js with these Node flags: resolves with its port. */
async function startBare(label, flags) {
  const child = spawn(process.execPath, [...flags, join(root, 'bench', 'hooks-bare.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
  return { label, port: Number(line), pid: child.pid };
}

let load;
try {
  load = otherLoad();
  const loadBefore = loadAverage();
  const cur = startDaemon(root, 'new');
  const old = oldRoot ? startDaemon(oldRoot, 'old') : null;
  console.log(`hooks bench: ${machine()}; load average at the start ${loadBefore}`);
  const mine = [process.pid, cur.pid, ...(old ? [old.pid] : [])];

  if (only.has('http')) {
    const targets = [
      { ...cur, label: 'corral (this build)' },
      ...(old ? [{ ...old, label: `corral (--old ${values.old})` }] : []),
      await startBare('bare node http, daemon flags', DAEMON_V8_FLAGS),
      await startBare('bare node http, default flags', []),
    ];
    for (const c of children) mine.push(c.pid);
    for (const t of targets) await post(t.port, '/hooks/PreToolUse', body, false); // each route warmed once
    const fresh = await httpRound(targets, false);
    const kept = await httpRound(targets, true);
    const floor = targets.findIndex((t) => t.label === 'bare node http, daemon flags');
    const rows = [];
    for (const [mode, times] of [['new connection', fresh], ['kept alive', kept]]) {
      times.forEach((t, k) => {
        rows.push([targets[k].label, mode, String(t.length), fmt(median(t), 2), fmt(pct(t, 99), 1), fmt(Math.max(...t), 1), `${fmt(median(t) / median(times[floor]), 2)}× / ${fmt(pct(t, 99) / pct(times[floor], 99), 2)}×`]);
      });
    }
    printTable(`http hook: POST /hooks/PreToolUse, ${rate}/s to each target for ${seconds} s, interleaved (ms)`, ['server', 'connection', 'n', 'p50', 'p99', 'max', 'p50 / p99 vs bare (daemon flags)'], rows);
    console.log(`targets: corral p50 < 2 ms, p99 < 10 ms. Daemon flags: ${DAEMON_V8_FLAGS.join(' ')} (an idle daemon runs interpreted; src/cli/up.ts)`);
  }

  if (only.has('process')) {
    const inCur = { cwd: cur.dir, env: cur.env };
    const cases = [
      { label: 'node -e ""', what: "Node's start-up alone (the floor of a Node hook)", cmd: process.execPath, args: ['-e', ''], opts: inCur },
      { label: 'bin/corral hook', what: 'the corral command: sh, then the bundle', cmd: join(root, 'bin', 'corral'), args: ['hook', 'PreToolUse'], opts: inCur },
      { label: 'node dist/corral-hook.cjs hook', what: 'the bundle, no sh', cmd: process.execPath, args: [join(root, 'dist', 'corral-hook.cjs'), 'hook', 'PreToolUse'], opts: inCur },
      { label: 'node bin/corral.js hook', what: "the whole CLI's ES modules (before the bundle)", cmd: process.execPath, args: [join(root, 'bin', 'corral.js'), 'hook', 'PreToolUse'], opts: inCur },
      ...(old ? [{ label: `--old bin/corral hook`, what: `${values.old}'s corral command`, cmd: join(oldRoot, 'bin', 'corral'), args: ['hook', 'PreToolUse'], opts: { cwd: old.dir, env: old.env } }] : []),
      { label: 'curl', what: 'curl -s -d @- URL/hooks/PreToolUse', cmd: 'curl', args: ['-s', '-o', '/dev/null', '-H', 'content-type: application/json', '--data-binary', '@-', `http://127.0.0.1:${cur.port}/hooks/PreToolUse`], opts: inCur },
    ];
    if (values.observability) {
      const script = join(resolve(values.observability), 'send_event.py');
      if (!existsSync(script)) throw new Error(`--observability: no send_event.py in ${values.observability}`);
      cases.push({ label: 'send_event.py', what: 'python3 send_event.py → POST /events', cmd: 'python3', args: [script, '--source-app', 'bench', '--event-type', 'PreToolUse', '--server-url', `http://127.0.0.1:${cur.port}/events`], opts: inCur });
    }
    const { times, cpu } = processRounds(cases);
    const floor = median(times[0]);
    const cpuFloor = mean(cpu[0]);
    const plus = (v) => `${v >= 0 ? '+' : ''}${fmt(v, 1)}`;
    const rows = cases.map((c, k) => [c.label, c.what, String(times[k].length), fmt(median(times[k]), 1), fmt(pct(times[k], 99), 1), k === 0 ? '—' : plus(median(times[k]) - floor), fmt(median(times[k]) / floor, 2), fmt(mean(cpu[k]), 1), k === 0 ? '—' : plus(mean(cpu[k]) - cpuFloor)]);
    printTable(`A hook as a process: ${runs} interleaved rounds after ${warmup} of warm-up (ms, whole process, body on stdin)`, ['hook', 'what', 'n', 'wall p50', 'wall p99', 'p50 − node -e', 'p50 / node -e', 'CPU mean', 'CPU − node -e'], rows);
    console.log('target: corral hook p50 < 60 ms (Node 20 has no compile cache: module.enableCompileCache is 22.1+)');
  }
  const stored = await fetch(`http://127.0.0.1:${cur.port}/events?event_type=PreToolUse&limit=1`).then((r) => r.json());
  console.log(`\nevery hook stored: ${stored.events.length === 1 ? 'yes' : 'NO'} (the store is on; the last PreToolUse read back)`);
  console.log(`load average at the end ${loadAverage()}; ${load.top(5, mine)}`);
} finally {
  for (const c of children) c.stdin.end();
  for (const d of daemons) {
    spawnSync(process.execPath, [join(d.from, 'bin', 'corral.js'), 'down'], { cwd: d.dir, env: d.env, stdio: 'ignore', timeout: 60_000 });
    try {
      process.kill(d.pid, 'SIGKILL');
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
