import { request } from 'node:http';
import type { ClientOptions } from '../client/client.js';
import { daemonBaseUrl, describeStateDirOwner, findConfig, readDaemonInfo, readToken, stateDirFor, stateDirOwner, type DaemonInfo } from '../daemon/paths.js';
import { readStateDirSetting } from './state-dir.js';
import { CorralError } from '../errors.js';

/** Where the CLI reaches the daemon: its base URL, token and state directory. */
export interface DaemonTarget {
  baseUrl: string;
  token: string | null;
  stateDir: string | null;
  configPath: string | null;
  info: DaemonInfo | null;
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
 * daemon.json and token; without a config, `CORRAL_URL` (default
 * http://127.0.0.1:4000). Throws StateDirConflictError when that state
 * directory belongs to another config's daemon.
 */
export function findDaemon(configFlag?: string): DaemonTarget {
  const configPath = findConfig(configFlag);
  if (configPath) {
    const stateDir = ownStateDir(configPath);
    const info = readDaemonInfo(stateDir);
    const url = info ? daemonBaseUrl(info) : (process.env.CORRAL_URL ?? 'http://127.0.0.1:4000');
    return { baseUrl: url, token: readToken(stateDir), stateDir, configPath, info };
  }
  return { baseUrl: process.env.CORRAL_URL ?? 'http://127.0.0.1:4000', token: process.env.CORRAL_TOKEN ?? null, stateDir: null, configPath: null, info: null };
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
