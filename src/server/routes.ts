import type { Duplex } from 'node:stream';
import type { RouteContext } from './route-context.js';
export { allowHeader } from './http-util.js';

/** Who may use a route: anyone, a publisher (loopback under `auth: local`, else the token), or the token always. */
export type RouteAuth = 'none' | 'publish' | 'token';

/** What an accepted WebSocket upgrade is handed. */
export interface UpgradeContext {
  req: RouteContext['req'];
  socket: Duplex;
  head: Buffer;
  url: URL;
}

/**
 * One route of the daemon's HTTP server. `path` is literal segments and
 * `:name` parameters (`/hooks/:event`). A route answers plain requests with
 * `handler` and WebSocket upgrades with `upgrade`; the table is the one place
 * the server's paths are written: 404, 405 and `Allow` are derived from it.
 */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  auth: RouteAuth;
  handler?: (ctx: RouteContext, params: Record<string, string>) => Promise<void>;
  upgrade?: (ctx: UpgradeContext) => void;
}

/** What a request finds in the table. */
export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  /** The path is known, the method is not: `allow` lists the methods it answers (GET implying HEAD), `auth` the strictest rule among them. */
  | { kind: 'method'; allow: string[]; auth: RouteAuth }
  | { kind: 'none' };

function segments(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function matchPath(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = parts[i]!;
    else if (p !== parts[i]) return null;
  }
  return params;
}

const STRICTNESS: Record<RouteAuth, number> = { none: 0, publish: 1, token: 2 };

/**
 * Looks a request up. `kind` picks the routes that can answer it (plain
 * requests or upgrades); HEAD is looked up as GET. Trailing slashes do not count.
 */
export function matchRoute(routes: readonly Route[], method: string, path: string, kind: 'handler' | 'upgrade'): RouteMatch {
  const parts = segments(path);
  const asked = method === 'HEAD' ? 'GET' : method;
  const allow: string[] = [];
  let auth: RouteAuth = 'none';
  for (const route of routes) {
    if (!route[kind]) continue;
    const params = matchPath(segments(route.path), parts);
    if (!params) continue;
    if (route.method === asked) return { kind: 'found', route, params };
    if (!allow.includes(route.method)) allow.push(route.method);
    if (STRICTNESS[route.auth] > STRICTNESS[auth]) auth = route.auth;
  }
  return allow.length > 0 ? { kind: 'method', allow: allow.sort(), auth } : { kind: 'none' };
}

/** The methods a path answers (plain requests or upgrades), sorted; empty for a path with no route. */
export function pathMethods(routes: readonly Route[], path: string, kind: 'handler' | 'upgrade'): string[] {
  const found = matchRoute(routes, '', path, kind);
  return found.kind === 'method' ? found.allow : [];
}
