import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { isProcessRunning } from '../util/proc.js';

/** Contents of `daemon.json` in the state directory. */
export interface DaemonInfo {
  pid: number;
  host: string;
  port: number;
  started_at: number;
  version: string;
  config: string;
}

const CONFIG_NAMES = ['corral.yaml', 'corral.yml', 'corral.json', join('config', 'ecosystem.yaml'), join('config', 'ecosystem.yml'), join('config', 'ecosystem.json')];

/**
 * Finds the config file (docs/config.md): `-c FILE`, else CORRAL_CONFIG, else the
 * nearest corral.yaml or config/ecosystem.yaml walking up from `cwd`.
 * Returns null when there is none.
 */
export function findConfig(explicit?: string, cwd: string = process.cwd()): string | null {
  if (explicit) return resolve(cwd, explicit);
  if (process.env.CORRAL_CONFIG) return resolve(cwd, process.env.CORRAL_CONFIG);
  let dir = resolve(cwd);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The state directory for a config: `state_dir` from the config (relative to
 * the config's directory) or `.corral/` beside the config. A config under a
 * `config/` directory keeps its state in the project root (`../.corral`).
 */
export function stateDirFor(configPath: string, stateDir?: string): string {
  const configDir = dirname(configPath);
  if (stateDir) return resolve(configDir, stateDir);
  const base = configDir.endsWith(`${'/'}config`) ? dirname(configDir) : configDir;
  return join(base, '.corral');
}

/** Where `corral hook` spools when no config is found. */
export function fallbackStateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'corral');
}

/** Paths inside a state directory. */
export function statePaths(stateDir: string) {
  return {
    dir: stateDir,
    daemon: join(stateDir, 'daemon.json'),
    token: join(stateDir, 'token'),
    events: join(stateDir, 'events.db'),
    logs: join(stateDir, 'logs'),
    spool: join(stateDir, 'spool'),
    groups: join(stateDir, 'groups.json'),
    plugins: join(stateDir, 'plugins'),
    daemonLog: join(stateDir, 'logs', 'corral.log'),
  };
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Reads daemon.json, or null when absent or unreadable. */
export function readDaemonInfo(stateDir: string): DaemonInfo | null {
  try {
    return JSON.parse(readFileSync(statePaths(stateDir).daemon, 'utf8')) as DaemonInfo;
  } catch {
    return null;
  }
}

/**
 * Writes daemon.json atomically (a temp file renamed over it), so a client
 * re-reading it while the daemon moves to another port never sees half a file.
 */
export function writeDaemonInfo(stateDir: string, info: DaemonInfo): void {
  const file = statePaths(stateDir).daemon;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * The HTTP base URL of the daemon described by daemon.json. A daemon bound to
 * every address (`0.0.0.0`, `::`) is reached on 127.0.0.1.
 */
export function daemonBaseUrl(info: Pick<DaemonInfo, 'host' | 'port'>): string {
  const host = info.host === '0.0.0.0' || info.host === '::' ? '127.0.0.1' : info.host || '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
}

/** Reads the token, or null when absent. */
export function readToken(stateDir: string): string | null {
  try {
    return readFileSync(statePaths(stateDir).token, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists and is not a zombie (the one check, in src/util/proc.ts). */
export const isAlive: (pid: number) => boolean = isProcessRunning;

/** True when `pid` runs corral (so a stale daemon.json whose pid was reused is ignored). */
export function isCorralProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('corral');
  } catch {
    return true;
  }
}

/** Whether two config paths name the same file: both made absolute, symlinks followed where the files exist. */
export function sameConfigFile(a: string, b: string): boolean {
  const real = (p: string) => {
    const abs = resolve(p);
    try {
      return realpathSync(abs);
    } catch {
      return abs;
    }
  };
  return real(a) === real(b);
}

/** The daemon of another config that holds a state directory, as daemon.json says. */
export interface StateDirOwner {
  info: DaemonInfo;
  /** Its daemon still runs (else daemon.json was left by one that died). */
  alive: boolean;
}

/**
 * Who else holds `stateDir`: the daemon.json there names a config other than
 * `configPath` (two configs in one directory share `.corral/` unless one sets
 * `state_dir:`). Null when the directory is free or is this config's own. A
 * daemon.json left by a dead daemon whose config file is gone binds nobody.
 */
export function stateDirOwner(stateDir: string, configPath: string): StateDirOwner | null {
  const info = readDaemonInfo(stateDir);
  if (!info || typeof info.config !== 'string' || info.config === '') return null;
  if (sameConfigFile(info.config, configPath)) return null;
  const alive = typeof info.pid === 'number' && (info.pid === process.pid || (isAlive(info.pid) && isCorralProcess(info.pid)));
  if (!alive && !existsSync(info.config)) return null;
  return { info, alive };
}

/** What to tell a user whose config's state directory is held by another config's daemon, and how to fix it. */
export function describeStateDirOwner(stateDir: string, configPath: string, owner: StateDirOwner): string {
  const { info } = owner;
  const url = daemonBaseUrl(info);
  const shown = (p: string) => {
    const rel = relative(process.cwd(), p);
    return rel && !rel.startsWith('..') ? rel : p;
  };
  const other = shown(info.config);
  const mine = shown(configPath);
  const who = owner.alive
    ? `belongs to the corral daemon of ${other} (pid ${info.pid}, ${url})`
    : `was last used by the corral daemon of ${other} (pid ${info.pid}, no longer running)`;
  const suggested = `.corral-${basename(configPath).replace(/\.(ya?ml|json)$/i, '')}`;
  return (
    `the state directory ${shown(stateDir)} ${who}, not ${mine}: configs in one directory share it unless they set \`state_dir:\`. ` +
    `Add \`state_dir: ${suggested}\` to ${mine} (or give ${other} its own), ` +
    (owner.alive ? `or use \`-c ${other}\` to act on that daemon` : `or run \`corral down -c ${other}\` to release it`)
  );
}
