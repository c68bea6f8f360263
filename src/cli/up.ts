import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { corralVersion } from '../version.js';
import { daemonBaseUrl, ensureDir, findConfig, isAlive, isCorralProcess, readDaemonInfo, statePaths, type DaemonInfo } from '../daemon/paths.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { parseArgs, useColor } from './args.js';
import { apiRequest, findDaemon, ownStateDir, type DaemonTarget } from './daemon-client.js';
import type { LeftoversEndedPayload } from '../schema/payloads.js';
import { describeNotReady, stillRunningHint, waitReady } from './up-ready.js';
import type { Selection } from '../supervisor/selection.js';
import { plural, renderComponents } from './format.js';
import { runCommand } from './run-command.js';
import { showLiveStatus } from './up-view.js';
import { applyPortFlag } from './port.js';

/** `corral up [NAME...] [--profile P]... [-c FILE] [-d] [--timeout 60s]`. */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals, lists } = parseArgs(args, { detach: 'boolean', timeout: 'value', 'no-logs': 'boolean', port: 'value', profile: 'list' }, { d: 'detach' });
    applyPortFlag(flags.port);
    const selection: Selection = { names: positionals, profiles: lists.profile ?? [] };
    const configPath = findConfig(flags.config as string | undefined);
    if (!configPath || !existsSync(configPath)) {
      process.stderr.write(
        `corral up: no config found${flags.config ? ` at ${flags.config}` : ''} (give -c FILE, set CORRAL_CONFIG, or create corral.yaml or config/ecosystem.yaml in this directory or a parent)\n`,
      );
      return 2;
    }
    const timeoutMs = flags.timeout ? (await import('../config/units.js')).parseDuration(String(flags.timeout)) : 60_000;
    // Another config's daemon may hold this state directory (two configs in one directory): refuse before touching it.
    const stateDir = ownStateDir(configPath);
    // Names or profiles for a daemon that already runs: it starts them (`up -d` alone says it is up).
    const existing = readDaemonInfo(stateDir);
    const chosen = selection.names.length > 0 || selection.profiles.length > 0;
    if (existing && isAlive(existing.pid) && isCorralProcess(existing.pid)) {
      if (!chosen) return alreadyUp(configPath, existing, flags.detach !== true);
      return (await import('./up-running.js')).upOnRunning(findDaemon(configPath), selection, timeoutMs);
    }
    return flags.detach ? upDetached(configPath, stateDir, timeoutMs, selection) : upForeground(configPath, flags['no-logs'] !== true, selection);
  }, 'up');
}

async function upForeground(configPath: string, logs: boolean, selection: Selection): Promise<number> {
  // `corral up | tee log` then Ctrl-C: the reader goes first, and a write to the closed pipe (EPIPE)
  // must not kill the daemon half-way through its graceful stop.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  const { startDaemon, DaemonStartError } = await import('../daemon/daemon.js');
  try {
    const daemon = await startDaemon({ configPath, version: corralVersion(), handleSignals: true, selection });
    process.stderr.write(`corral ${corralVersion()}: bus on ws://${daemon.info.host}:${daemon.info.port}${daemon.config.bus.path}, state in ${daemon.stateDir} (Ctrl-C stops everything)\n`);
    process.stderr.write(`corral: dashboard at ${daemonBaseUrl(daemon.info)}/ (\`corral dashboard\` opens it with control)\n`);
    const leftovers = describeLeftovers(daemon.leftovers);
    if (leftovers) process.stderr.write(leftovers);
    const stopView = showLiveStatus(daemon, { logs });
    await daemon.done;
    stopView();
    process.stderr.write('corral: stopped\n');
    // As `corral daemon`: a handle left open by a process that escaped its group must not keep this one alive.
    setTimeout(() => process.exit(0), 1000).unref();
    return 0;
  } catch (err) {
    if (err instanceof DaemonStartError) {
      process.stderr.write(`corral up: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

export { describeNotReady, isLost, isReady } from './up-ready.js';

/**
 * V8 flags of the detached daemon. A small young generation (2 MB halves):
 * V8 otherwise grows it to 32 MB under the daemon's allocation bursts
 * (spawning 100 children) and keeps it resident while idle. One V8 helper
 * thread instead of four: each keeps its own allocations (2.5 MB less RSS
 * with 100 children), and these machines have two cores. No optimising or
 * baseline compiler (interpreter only): the daemon is idle nearly always, and
 * the compilers' code and output were 9 MB of its resident memory (69 → 60.5
 * MB with 100 idle children); the bus still delivers more than a bare `ws`
 * broadcast server without them (bench/bus.js runs corral with these flags).
 */
export const DAEMON_V8_FLAGS = ['--max-semi-space-size=2', '--v8-pool-size=1', '--no-opt', '--no-sparkplug'];

/** The daemon's Node flags: `CORRAL_DAEMON_FLAGS` (space-separated; empty for none) replaces DAEMON_V8_FLAGS. */
export function daemonNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const own = env.CORRAL_DAEMON_FLAGS;
  return own === undefined ? DAEMON_V8_FLAGS : own.split(/\s+/).filter(Boolean);
}

async function upDetached(configPath: string, stateDir: string, timeoutMs: number, selection: Selection): Promise<number> {
  ensureDir(stateDir);
  const paths = statePaths(stateDir);
  ensureDir(paths.logs);
  const stderrFile = `${paths.logs}/daemon.stderr`;
  const fd = openSync(stderrFile, 'w');
  const bin = fileURLToPath(new URL('../../../bin/corral.js', import.meta.url));
  const chosen = [...selection.profiles.flatMap((p) => ['--profile', p]), '--', ...selection.names];
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [...daemonNodeFlags(), bin, 'daemon', '-c', configPath, ...chosen], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();

  const deadline = Date.now() + timeoutMs;
  // Wait for the daemon to write daemon.json (or to die trying).
  while (readDaemonInfo(stateDir)?.pid !== child.pid) {
    if (exited !== null) {
      process.stderr.write(readFileSync(stderrFile, 'utf8'));
      return exited === 0 ? 1 : exited;
    }
    if (Date.now() > deadline) {
      process.stderr.write(`corral up: the daemon (pid ${child.pid}) did not come up within ${timeoutMs} ms; see ${stderrFile}\n`);
      return 1;
    }
    await delay(20);
  }
  const target = findDaemon(configPath);
  await tellLeftovers(target, spawnedAt);
  const { components: last, notReady } = await waitReady(target, deadline);
  if (notReady.length === 0) {
    process.stdout.write(renderComponents(last, useColor()));
    const disabled = last.filter((c) => c.state === 'disabled').length;
    const inactive = last.filter((c) => c.state === 'inactive').length;
    process.stdout.write(
      `corral is up (pid ${child.pid}, port ${target.info?.port}): ${plural(last.length - disabled - inactive, 'component')} ready${disabled ? `, ${disabled} disabled` : ''}${inactive ? `, ${inactive} inactive` : ''}\n`,
    );
    process.stdout.write(`dashboard: ${target.baseUrl}/ (\`corral dashboard\` opens it with control)\n`);
    return 0;
  }
  process.stdout.write(renderComponents(last, useColor()));
  process.stdout.write(`dashboard: ${target.baseUrl}/ (\`corral dashboard\` opens it with control)\n`);
  process.stderr.write(`corral up: not ready: ${notReady.map((c) => describeNotReady(c)).join(', ')}\n`);
  process.stderr.write(stillRunningHint(child.pid, target.baseUrl, notReady));
  return 1;
}

/**
 * `up` or `up -d` when this config's daemon already runs: nothing to start,
 * so say so with its components and succeed (like `docker compose up -d`);
 * the foreground `up` also says where its live view is.
 */
async function alreadyUp(configPath: string, info: DaemonInfo, foreground: boolean): Promise<number> {
  const target = findDaemon(configPath);
  try {
    const res = await apiRequest<{ components: ComponentInfo[] }>(target, 'GET', '/api/components', undefined, 5000);
    if (res.status === 200 && Array.isArray(res.body?.components)) process.stdout.write(renderComponents(res.body.components, useColor()));
  } catch {}
  process.stdout.write(`corral is already running for ${configPath} (pid ${info.pid}, ${target.baseUrl})\n`);
  if (foreground) process.stdout.write('`corral monitor` shows it live, `corral logs -f` follows its output, `corral down` stops it\n');
  return 0;
}

/** `corral: ended what the previous daemon left: web-1, web-2`, or '' when it left nothing. */
export function describeLeftovers(p: LeftoversEndedPayload | undefined): string {
  if (!p || (p.components.length === 0 && p.tmux_windows === 0)) return '';
  const windows = p.tmux_windows > 0 ? plural(p.tmux_windows, 'tmux window') : '';
  return `corral: ended what the previous daemon left: ${[p.components.join(', '), windows].filter(Boolean).join('; ')}\n`;
}

/** What the daemon just started ended that a previous one left (its component.leftovers_ended event), on stderr. */
async function tellLeftovers(target: DaemonTarget, since: number): Promise<void> {
  try {
    const q = `/events?event_type=component.leftovers_ended&source=corral&since=${since}&order=desc&limit=1`;
    const res = await apiRequest<{ events?: Array<{ payload: LeftoversEndedPayload }> }>(target, 'GET', q, undefined, 5000);
    process.stderr.write(describeLeftovers(res.status === 200 ? res.body?.events?.[0]?.payload : undefined));
  } catch {}
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
