import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * vitest's globalSetup (vitest.config.ts): the tests that run the CLI as a
 * user does (`bin/corral.js`) need `dist/`. It is built here, once per run,
 * when a source is newer than its build or has none, so `vitest run` alone
 * never runs a stale CLI and no test is skipped for a missing build; after
 * `npm test`'s own build it costs a few hundred stats.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(ROOT, 'dist');
// What tsconfig.build.json compiles: its `include`, without the tests.
const SOURCES = ['src', 'plugins'];
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'];
const LOCK = join(DIST, '.build.lock');
const LOCK_WAIT_MS = 5 * 60_000;

export default function setup(): void {
  if (staleSources().length > 0) {
    withLock(() => {
      // Another run may have built it while this one waited for the lock.
      const stale = staleSources();
      if (stale.length === 0) return;
      build(stale);
    });
  }
  // bin/corral runs `hook` from its bundle (scripts/build-hook.js) when there is one: never a stale one.
  if (hookBundleStale()) withLock(() => hookBundleStale() && buildHookBundle());
}

const HOOK_BUNDLE = join(DIST, 'corral-hook.cjs');
const HOOK_SCRIPT = join(ROOT, 'scripts', 'build-hook.js');

/** Whether dist/corral-hook.cjs is missing or older than a source it was made from (its meta file lists them). */
export function hookBundleStale(): boolean {
  const built = mtime(HOOK_BUNDLE);
  if (built === null || (mtime(HOOK_SCRIPT) ?? 0) > built) return true;
  let inputs: string[];
  try {
    inputs = (JSON.parse(readFileSync(join(DIST, 'corral-hook.meta.json'), 'utf8')) as { inputs: string[] }).inputs;
  } catch {
    return true;
  }
  return inputs.some((file) => (mtime(join(ROOT, file)) ?? Infinity) > built);
}

function buildHookBundle(): void {
  const r = spawnSync(process.execPath, [HOOK_SCRIPT], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`test/helpers/global-setup.ts: bundling corral hook failed (node scripts/build-hook.js, exit ${r.status}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.slice(0, 4000)}`);
}

/** The sources whose build is missing or older than they are (all of them when a tsconfig changed). */
export function staleSources(): string[] {
  const stale: string[] = [];
  let oldestOutput = Infinity;
  for (const dir of SOURCES) {
    for (const file of walk(join(ROOT, dir))) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file.endsWith('.test.ts')) continue;
      const out = join(DIST, relative(ROOT, file)).replace(/\.ts$/, '.js');
      const built = mtime(out);
      if (built === null || built < mtime(file)!) stale.push(relative(ROOT, file));
      else oldestOutput = Math.min(oldestOutput, built);
    }
  }
  if (stale.length === 0 && CONFIGS.some((c) => (mtime(join(ROOT, c)) ?? 0) > oldestOutput)) return CONFIGS;
  return stale;
}

function build(stale: string[]): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  const took = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim();
    throw new Error(`test/helpers/global-setup.ts: building dist/ for the CLI tests failed (tsc -p tsconfig.build.json, exit ${r.status}):\n${output.slice(0, 4000)}`);
  }
  const which = stale.length > 3 ? `${stale.slice(0, 3).join(', ')} and ${stale.length - 3} more` : stale.join(', ');
  process.stderr.write(`[corral tests] built dist/ in ${took} s (sources with no build or an older one: ${which})\n`);
}

/** Runs `fn` holding dist/.build.lock, so two vitest runs in one checkout do not build over each other. */
function withLock(fn: () => void): void {
  mkdirSync(DIST, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(LOCK, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readLock());
      // An empty lock younger than a few seconds: its holder has not written its pid yet.
      const starting = !(holder > 0) && Date.now() - (mtime(LOCK) ?? 0) < 5000;
      if (!starting && (!(holder > 0) || !alive(holder))) {
        rmSync(LOCK, { force: true }); // left by a run that was killed
        continue;
      }
      if (Date.now() > deadline) throw new Error(`test/helpers/global-setup.ts: ${LOCK} is still held by pid ${holder} after ${LOCK_WAIT_MS / 1000} s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      fn();
    } finally {
      rmSync(LOCK, { force: true });
    }
    return;
  }
}

function readLock(): string {
  try {
    return readFileSync(LOCK, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function mtime(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function* walk(dir: string): Generator<string> {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walk(path);
    } else if (entry.isFile()) yield path;
  }
}
