// One Claude Code hook's cost to Claude Code, side by side, against a real daemon.
//
//   npx tsc -p tsconfig.build.json && node bench/hooks.js [--seconds 10] [--rate 50] [--runs 30]
//       [--observability DIR]
//
// A daemon is started with the built CLI (`corral up -d`, `bus: { port: 0 }`,
// the event store on, as by default) in a temp project. Then, one after the other:
//   http       what an `"type": "http"` hook costs: a POST /hooks/PreToolUse of a
//              typical body (~600 bytes), a new connection each time (as a hook
//              client that keeps none would), at --rate hooks/s for --seconds;
//              the client-side round trip, answer read (`{}`).
//              Then the same with connections kept alive.
//   curl       a bare `curl -s -d @- URL/hooks/PreToolUse` process, --runs times.
//   hook       `bin/corral hook PreToolUse` (the `corral` command, a sh script
//              that runs Node), whole process with the body on stdin, --runs times.
//   hook+cc    the same with NODE_COMPILE_CACHE set (V8's compile cache; Node >= 22.1
//              only: on Node 20 the variable is ignored, and the row says so).
//   node -e    `node -e ""`: Node's own start-up, the floor of any Node hook.
//   send_event the observability project's `.claude/hooks/send_event.py` under python3
//              (`--observability DIR`: that project's `.claude/hooks` directory; the
//              row is left out without it) posting to corral's POST /events.
// Targets: http p50 < 2 ms and p99 < 10 ms at 50 hooks/s with the store on;
// `corral hook` p50 < 60 ms. Processes are run one at a time (the machine's
// other load shows in the figures; compare rows of one run). Every process the
// bench starts is ended, and the temp dir removed, on errors too.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machine, now, printTable, sleep } from './lib.js';

const root = resolve(import.meta.dirname, '..');
const USAGE = 'usage: node bench/hooks.js [--seconds 10] [--rate 50] [--runs 30] [--observability DIR]';
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rate: { type: 'string', default: '50' }, runs: { type: 'string', default: '30' }, observability: { type: 'string' } } });
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const runs = Number(values.runs);
if (!(seconds > 0 && rate > 0 && runs > 0)) {
  process.stderr.write(`bench/hooks.js: --seconds, --rate and --runs take positive numbers\n${USAGE}\n`);
  process.exit(2);
}
if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js'))) {
  process.stderr.write('bench/hooks.js: build first: npx tsc -p tsconfig.build.json\n');
  process.exit(2);
}

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

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

function post(port, path, text, agent = false) {
  return new Promise((ok, fail) => {
    const t0 = now();
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let out = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (out += c));
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? ok(now() - t0) : fail(new Error(`HTTP ${res.statusCode}: ${out}`))));
    });
    req.on('error', fail);
    req.end(text);
  });
}

/** `rate` hooks a second for `seconds`, each on its own schedule (a slow answer does not delay the next). */
async function httpCase(port, agent = false) {
  const times = [];
  const total = Math.round(rate * seconds);
  const t0 = now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    pending.push(post(port, '/hooks/PreToolUse', body, agent).then((ms) => times.push(ms)));
  }
  await Promise.all(pending);
  return times;
}

function processCase(cmd, args, opts = {}) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    const r = spawnSync(cmd, args, { input: body, stdio: ['pipe', 'ignore', 'pipe'], timeout: 30_000, ...opts });
    const ms = now() - t0;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 300)}`);
    times.push(ms);
  }
  return times;
}

const dir = mkdtempSync(join(tmpdir(), 'corral-bench-hooks-'));
const env = { ...process.env, NO_COLOR: '1', XDG_STATE_HOME: join(dir, 'xdg') };
const corral = (args) => spawnSync(process.execPath, [join(root, 'bin', 'corral.js'), ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
let daemonPid = null;
try {
  writeFileSync(join(dir, 'corral.yaml'), 'version: 1\nbus: { port: 0 }\nresources: { enabled: false }\n');
  const up = corral(['up', '-d']);
  if (up.status !== 0) throw new Error(`corral up -d failed: ${up.stderr}`);
  const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
  daemonPid = info.pid;
  const port = info.port;
  const url = `http://127.0.0.1:${port}`;
  await post(port, '/hooks/PreToolUse', body); // warm the route once

  const rows = [];
  const row = (name, what, times, note = '') => rows.push([name, what, String(times.length), fmt(pct(times, 50), 1), fmt(pct(times, 99), 1), fmt(Math.max(...times), 1), note]);
  row('http hook → corral', `POST /hooks, new connection, ${rate}/s for ${seconds} s`, await httpCase(port), 'target p50 < 2, p99 < 10');
  row('http hook, kept-alive', `same, connections reused (as an HTTP client that keeps them does)`, await httpCase(port, keepAlive), 'target p50 < 2, p99 < 10');
  row('curl', 'curl -s -d @- URL/hooks/PreToolUse', processCase('curl', ['-s', '-o', '/dev/null', '-H', 'content-type: application/json', '--data-binary', '@-', `${url}/hooks/PreToolUse`]));
  const hookEnv = { ...env };
  row('corral hook', 'bin/corral hook PreToolUse (whole process)', processCase(join(root, 'bin', 'corral'), ['hook', 'PreToolUse'], { cwd: dir, env: hookEnv }), 'target p50 < 60');
  const cache = join(dir, 'compile-cache');
  const cc = processCase(join(root, 'bin', 'corral'), ['hook', 'PreToolUse'], { cwd: dir, env: { ...hookEnv, NODE_COMPILE_CACHE: cache } });
  row('corral hook + NODE_COMPILE_CACHE', 'same, V8 compile cache on disk', cc, existsSync(cache) ? 'cache written' : `no cache: Node ${process.version} ignores it (>= 22.1)`);
  row('node -e ""', "Node's start-up alone (the floor of a Node hook)", processCase(process.execPath, ['-e', '']));
  if (values.observability) {
    const script = join(resolve(values.observability), 'send_event.py');
    if (!existsSync(script)) throw new Error(`--observability: no send_event.py in ${values.observability}`);
    row('send_event.py', 'python3 send_event.py --event-type PreToolUse → POST /events', processCase('python3', [script, '--source-app', 'bench', '--event-type', 'PreToolUse', '--server-url', `${url}/events`], { cwd: dir }));
  }
  const stored = await fetch(`${url}/events?event_type=PreToolUse&limit=1`).then((r) => r.json());
  printTable(`One Claude Code hook, side by side (ms; ${machine()})`, ['hook', 'what is measured', 'n', 'p50', 'p99', 'max', 'note'], rows);
  console.log(`\nevery hook stored: ${stored.events.length === 1 ? 'yes' : 'NO'} (the store is on; the last PreToolUse read back)`);
} finally {
  keepAlive.destroy();
  corral(['down']);
  if (daemonPid) {
    try {
      process.kill(daemonPid, 'SIGKILL');
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
}
