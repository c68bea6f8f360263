// Config save → config.changed: how long from writing the file to the event on the bus.
//
//   npm run build && node bench/reload.js [--runs 15] [--components 20]
//
// A daemon with N idle components runs in a temp dir; each run rewrites the
// config with one threshold changed (applied in place, no restart) and times
// the write until a bus client receives `config.changed`. The target (issue 5)
// is under 300 ms; the watcher's debounce (150 ms, so an editor's
// write-rename settles first) is part of it. No other supervisor here reloads
// a changed file by itself (PM2 and supervisord need `pm2 reload` /
// `supervisorctl update`), so this is an absolute figure, not a comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmt, machine, median, now, printTable, sleep } from './lib.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = opt('runs', 15);
const N = opt('components', 20);
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'corral.js');
const { createClient } = await import('../dist/src/client/index.js');

const dir = mkdtempSync(join(tmpdir(), 'corral-bench-reload-'));
const config = join(dir, 'corral.yaml');
const write = (warning) => {
  const lines = ['version: 1', 'bus: { port: 0 }', 'resources: { enabled: false }', 'components:'];
  for (let i = 0; i < N; i++) {
    lines.push(`  c${i}:`, `    command: ["sleep", "1000"]`, `    resources: { memory: { warning: ${warning}MB } }`);
  }
  writeFileSync(config, lines.join('\n') + '\n');
};
const cli = (...a) => spawnSync(process.execPath, [bin, ...a, '-c', config], { encoding: 'utf8' });

write(100);
const up = cli('up', '-d');
if (up.status !== 0) {
  console.error(up.stderr);
  process.exit(1);
}
const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8'));
const client = createClient({ url: `http://127.0.0.1:${info.port}`, filter: { event_type: 'config.changed' } });
let waiting = null;
client.on('event', (e) => {
  if (e.event_type === 'config.changed' && waiting) waiting(now());
});
const times = [];
const plans = [];
try {
  await client.connect();
  for (let i = 0; i < RUNS; i++) {
    await sleep(400);
    const got = new Promise((r) => (waiting = r));
    const t0 = now();
    write(200 + i);
    const t1 = await Promise.race([got, sleep(5000).then(() => NaN)]);
    waiting = null;
    times.push(t1 - t0);
  }
  const last = await fetch(`http://127.0.0.1:${info.port}/events?event_type=config.changed&limit=1`).then((r) => r.json());
  plans.push(last.events?.[0]?.payload);
} finally {
  await client.close();
  cli('down');
  rmSync(dir, { recursive: true, force: true });
}
printTable(
  `Config save → config.changed (${RUNS} saves, ${N} components; ${machine()}). Target: under 300 ms.`,
  ['median ms', 'p90 ms', 'max ms', 'restarts in the plan'],
  [[fmt(median(times)), fmt(times.sort((a, b) => a - b)[Math.floor(times.length * 0.9)]), fmt(Math.max(...times)), String(plans[0]?.restarted?.length ?? 'n/a')]],
);
