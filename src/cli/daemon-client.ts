import { request } from 'node:http';
import type { ClientOptions } from '../client/client.js';
import { daemonBaseUrl, describeStateDirOwner, findConfig, readDaemonInfo, readToken, stateDirFor, stateDirOwner, type DaemonInfo } from '../daemon/paths.js';
import { readStateDirSetting } from './state-dir.js';
import { CorralError } from '../errors.js';
import { parsePort } from '../config/port-override.js';
import { readHealth } from '../server/port-owner.js';
import { UsageError } from './args.js';

/** Where the CLI reaches the daemon: its base URL, token and state directory. */
export interface DaemonTarget {
  baseUrl: string;
  token: string | null;
  stateDir: string | null;
  configPath: string | null;
  info: DaemonInfo | null;
  /** Found by the fallback (no config): the address of CORRAL_URL, CORRAL_PORT or the default. */
  fallback?: boolean;
}

/** Thrown when no daemon answers; the CLI says so and exits 1. */
export class DaemonNotRunningError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLI002', [message], options);
  }
}

/**
 * Thrown when this config's state directory is held by another config's
 * daemon (two configs in one directory); the CLI prints it and exits 2.
 */
export class StateDirConflictError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLI003', [message], options);
  }
}

/** The state directory of a config; throws StateDirConflictError when another config's daemon holds it. */
export function ownStateDir(configPath: string): string {
  const stateDir = stateDirFor(configPath, readStateDirSetting(configPath));
  const owner = stateDirOwner(stateDir, configPath);
  if (owner) throw new StateDirConflictError(describeStateDirOwner(stateDir, configPath, owner));
  return stateDir;
}

/**
 * Finds the daemon for this config: config → state dir →
 * daemon.json and token; without a config, `CORRAL_URL`, else
 * `CORRAL_PORT` on 127.0.0.1, else http://127.0.0.1:4000 (the fallback; the
 * first request then says on stderr whose daemon answered). Throws
 * StateDirConflictError when that state directory belongs to another config's
 * daemon, and, for a control command (`control`: its name), FallbackControlError
 * when nothing names the daemon (no config, no CORRAL_URL, no CORRAL_PORT).
 */
export function findDaemon(configFlag?: string, opts: { control?: string } = {}): DaemonTarget {
  const configPath = findConfig(configFlag);
  if (configPath) {
    const stateDir = ownStateDir(configPath);
    const info = readDaemonInfo(stateDir);
    const url = info ? daemonBaseUrl(info) : fallbackUrl();
    return { baseUrl: url, token: readToken(stateDir), stateDir, configPath, info };
  }
  const named = Boolean(process.env.CORRAL_URL || process.env.CORRAL_PORT);
  const baseUrl = fallbackUrl();
  if (opts.control && !named) throw new FallbackControlError(opts.control, baseUrl);
  return { baseUrl, token: process.env.CORRAL_TOKEN ?? null, stateDir: null, configPath: null, info: null, fallback: true };
}

/** Where a command without a config looks: `CORRAL_URL`, else `CORRAL_PORT` on 127.0.0.1, else port 4000. */
export function fallbackUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CORRAL_URL) return env.CORRAL_URL;
  const port = env.CORRAL_PORT ? parsePort(env.CORRAL_PORT) : null;
  return `http://127.0.0.1:${port ?? 4000}`;
}

/**
 * A control command (down, start, stop, restart, reload) with no config found
 * and no CORRAL_URL or CORRAL_PORT: it would act on whatever daemon listens on
 * the default port, maybe another project's. Refused (exit 2) with how to name it.
 */
export class FallbackControlError extends UsageError {
  constructor(command: string, url: string) {
    super(
      `no config found here (corral.yaml or config/ecosystem.yaml, from this directory up) and no CORRAL_URL: ` +
        `not sending \`${command}\` to whichever daemon answers at ${url}. Name the target: \`corral ${command} -c FILE\`, ` +
        `or \`CORRAL_URL=${url} corral ${command}\` (\`corral ps\` says whose daemon that is)`,
    );
  }
}

const announced = new Set<string>();

/**
 * Says on stderr, once per address, which daemon a command found through the
 * fallback reaches: `corral: using the daemon at URL (config FILE)`, the file
 * from its GET /health. Nothing when nothing answers (the request's own error says so).
 */
export async function announceDaemon(target: DaemonTarget): Promise<void> {
  if (!target.fallback || announced.has(target.baseUrl)) return;
  announced.add(target.baseUrl);
  const answer = await readHealth(new URL(target.baseUrl), 2000);
  if (!('status' in answer)) return;
  let config: unknown;
  try {
    config = (JSON.parse(answer.body) as { config?: unknown }).config;
  } catch {}
  const whose = typeof config === 'string' ? `config ${config}` : 'its config not said';
  process.stderr.write(`corral: using the daemon at ${target.baseUrl} (${whose})\n`);
  if (typeof config === 'string' && target.token === null) target.token = tokenOfDaemonAt(config, target.baseUrl);
}

/**
 * The token of the config's daemon, when that config's daemon.json says it
 * serves `baseUrl` (what answered there may only claim a config: a program
 * that is not that daemon never gets its token), else null.
 */
function tokenOfDaemonAt(configPath: string, baseUrl: string): string | null {
  try {
    const stateDir = stateDirFor(configPath, readStateDirSetting(configPath));
    const info = readDaemonInfo(stateDir);
    if (!info || new URL(daemonBaseUrl(info)).host !== new URL(baseUrl).host) return null;
    return readToken(stateDir);
  } catch {
    return null;
  }
}

/**
 * Where a long-lived bus client (`events -f`, `monitor`) connects. With a
 * state directory, the client is given its state directory rather than the
 * address read once: it re-reads daemon.json and the token before every
 * reconnect, so it follows the daemon to a new port after a hot reload (or to
 * a restarted daemon) and resumes. Without one, the fixed URL and token.
 */
export function busClientTarget(target: DaemonTarget): Pick<ClientOptions, 'url' | 'token' | 'stateDir'> {
  if (target.stateDir) return { stateDir: target.stateDir };
  return { url: target.baseUrl, token: target.token };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * One HTTP request to the daemon with the token. Rejects with
 * DaemonNotRunningError when nothing listens, so commands can say so plainly.
 */
export function apiRequest<T = unknown>(
  target: DaemonTarget,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<ApiResponse<T>> {
  if (target.configPath && !target.info) {
    // No daemon.json: this config's daemon is not running. Do not fall back to the default port, where another project's corral may answer.
    return Promise.reject(new DaemonNotRunningError(`corral is not running for ${target.configPath}; start it with \`corral up\``));
  }
  if (target.fallback && !announced.has(target.baseUrl)) return announceDaemon(target).then(() => apiRequest<T>(target, method, path, body, timeoutMs));
  const url = new URL(path, target.baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: {
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the daemon at ${target.baseUrl} did not answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') {
        reject(new DaemonNotRunningError(`corral is not running${target.configPath ? ` for ${target.configPath}` : ''} (nothing answers at ${target.baseUrl}); start it with \`corral up\``));
      } else reject(err);
    });
    if (payload) req.write(payload);
    req.end();
  });
}
