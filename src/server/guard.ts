import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress, requestToken, tokenMatches } from './token.js';

/** What the request checks need to know about the server. */
export interface GuardConfig {
  host: string;
  port: number;
  token: string;
  auth: 'local' | 'required';
  allowedOrigins: string[];
}

/** A refusal: the HTTP status and a message that says what was wrong. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The daemon's own origins: the bound address and the loopback names, with the port. */
export function ownOrigins(cfg: GuardConfig): Set<string> {
  const names = [hostForUrl(cfg.host), 'localhost', '127.0.0.1', '[::1]'];
  return new Set(names.map((n) => `http://${n}:${cfg.port}`));
}

/**
 * DNS rebinding defence: the Host header must name the bound address or a
 * loopback name (and, when it carries a port, ours). On a wildcard bind any
 * IP literal is accepted, since the token is required there anyway.
 */
export function checkHost(cfg: GuardConfig, hostHeader: string | undefined): Refusal | null {
  if (!hostHeader) return { status: 403, message: 'missing Host header' };
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.trim().toLowerCase());
  if (!m) return { status: 403, message: `Host ${JSON.stringify(hostHeader)} is not valid` };
  const name = m[1]!;
  const port = m[2];
  if (port !== undefined && Number(port) !== cfg.port) {
    return { status: 403, message: `Host ${hostHeader} names port ${port}, this daemon listens on ${cfg.port}` };
  }
  const bound = hostForUrl(cfg.host).toLowerCase();
  if (LOOPBACK_NAMES.has(name) || name === bound) return null;
  if (WILDCARDS.has(cfg.host) && (/^\d+\.\d+\.\d+\.\d+$/.test(name) || name.startsWith('['))) return null;
  return { status: 403, message: `Host ${hostHeader} is not this daemon's address (DNS rebinding protection)` };
}

/** True when a browser Origin may use the daemon; no Origin means a non-browser client. */
export function originAllowed(cfg: GuardConfig, origin: string | undefined): boolean {
  if (origin === undefined) return true;
  const o = origin.toLowerCase().replace(/\/$/, '');
  if (ownOrigins(cfg).has(o)) return true;
  return cfg.allowedOrigins.some((a) => a.toLowerCase().replace(/\/$/, '') === o);
}

/** Host and Origin checks, for every request and upgrade. */
export function checkBrowser(cfg: GuardConfig, req: IncomingMessage): Refusal | null {
  const host = checkHost(cfg, req.headers.host);
  if (host) return host;
  const origin = req.headers.origin;
  if (!originAllowed(cfg, origin)) {
    return { status: 403, message: `Origin ${origin} is not allowed (add it to bus.allowed_origins)` };
  }
  return null;
}

/** True when the request carries the daemon's token. */
export function hasToken(cfg: GuardConfig, req: IncomingMessage, url: URL): boolean {
  return tokenMatches(requestToken(req, url), cfg.token);
}

/**
 * Publishing and subscribing: loopback clients need no token unless
 * `auth: required`; every other client does.
 */
export function checkPublishAuth(cfg: GuardConfig, req: IncomingMessage, url: URL): Refusal | null {
  if (cfg.auth === 'local' && isLoopbackAddress(req.socket.remoteAddress)) return null;
  if (hasToken(cfg, req, url)) return null;
  return { status: 401, message: 'a token is required (Authorization: Bearer TOKEN or ?token=TOKEN; see STATE_DIR/token)' };
}
