import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

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
 * Finds the config file (DESIGN §9): `-c FILE`, else CORRAL_CONFIG, else the
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
  writeFileSync(tmp, JSON.stringify(info, null, 2));
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

/**
 * True when a process with this pid exists and is not a zombie. A daemon
 * killed with SIGKILL stays a zombie until init reaps it, which some
 * containers' init does slowly; it must already count as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}
