// Runs the benchmarks in bench/ one after another (`npm run bench`): each needs
// the machine to itself, so they never overlap.
//
//   npm run build && node bench/run.js [--only supervisor,bus,resources,reload] [--quick] [--dry-run]
//
// By default each runs with the arguments of its figures in bench/README.md, so one
// `npm run bench` remeasures that section. --quick runs each briefly (a check
// that they work; the figures are not worth quoting). --dry-run prints the
// commands without running them. A benchmark that fails does not stop the
// others; the exit code is 1 if any failed, 2 for bad arguments.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** In the order they run; `args` are bench/README.md's, `quick` a short run of the same. */
const BENCHES = [
  { name: 'supervisor', args: ['--runs', '3'], quick: ['--runs', '1', '--idle', '20', '--settle', '5', '--idle-window', '5'] },
  { name: 'bus', args: ['--runs', '5', '--slow-seconds', '0'], quick: ['--runs', '1', '--seconds', '2', '--slow-seconds', '0'] },
  { name: 'resources', args: ['--seconds', '30'], quick: ['--components', '20', '--seconds', '6'] },
  { name: 'reload', args: [], quick: ['--runs', '5'] },
];
const NAMES = BENCHES.map((b) => b.name);
const USAGE = `usage: node bench/run.js [--only ${NAMES.join(',')}] [--quick] [--dry-run]`;

function fail(message) {
  process.stderr.write(`bench/run.js: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv) {
  const opts = { only: NAMES, quick: false, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\nbenchmarks, in this order: ${NAMES.join(', ')}\n`);
      process.exit(0);
    } else if (arg === '--quick') opts.quick = true;
    else if (arg === '--dry-run') opts.dryRun = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      if (!value) fail('--only needs a comma-separated list of benchmarks');
      const names = value.split(',').map((n) => n.trim()).filter(Boolean);
      const unknown = names.filter((n) => !NAMES.includes(n));
      if (unknown.length > 0) fail(`unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')} (there are: ${NAMES.join(', ')})`);
      opts.only = names;
    } else fail(`unknown argument "${arg}"`);
  }
  return opts;
}

/** Runs one benchmark with the terminal handed over; resolves with its exit code (or the signal that ended it). */
function run(file, args) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: root, stdio: 'inherit' });
    child.on('error', (err) => done(`could not start: ${err.message}`));
    child.on('exit', (code, signal) => done(signal ?? code));
  });
}

const opts = parse(process.argv.slice(2));
// Listed order, not the order given: the same sequence every time.
const selected = BENCHES.filter((b) => opts.only.includes(b.name));
const commands = selected.map((b) => ({ name: b.name, file: join('bench', `${b.name}.js`), args: opts.quick ? b.quick : b.args }));

if (opts.dryRun) {
  for (const c of commands) process.stdout.write(`node ${[c.file, ...c.args].join(' ')}\n`);
  process.exit(0);
}
// The benchmarks load corral from dist/: say so rather than fail inside the first one.
if (!existsSync(join(root, 'dist', 'src', 'index.js'))) fail('dist/ is missing: run `npm run build` first');

// Ctrl-C reaches the running benchmark too (same process group): let it clean up, then start no other.
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
process.on('SIGTERM', () => (interrupted = true));

const results = [];
for (const c of commands) {
  if (interrupted) break;
  process.stdout.write(`\n=== node ${[c.file, ...c.args].join(' ')}\n\n`);
  const t0 = Date.now();
  const outcome = await run(join(root, c.file), c.args);
  results.push({ ...c, outcome, seconds: Math.round((Date.now() - t0) / 1000) });
}

process.stdout.write('\n=== summary\n');
for (const r of results) process.stdout.write(`${r.name.padEnd(12)} ${r.outcome === 0 ? 'ok' : `failed (${r.outcome})`}, ${r.seconds} s\n`);
for (const c of commands.slice(results.length)) process.stdout.write(`${c.name.padEnd(12)} not run (interrupted)\n`);
process.exit(interrupted ? 130 : results.every((r) => r.outcome === 0) ? 0 : 1);
