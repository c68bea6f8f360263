import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ByteBudget } from './body-budget.js';
import type { GuardConfig } from './guard.js';
import type { TokenBucket } from './rate-limit.js';
import type { ServerOptions } from './types.js';
import type { WsHub } from './ws-hub.js';

/** Everything a route handler needs for one request. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  opts: ServerOptions;
  guard: GuardConfig;
  hub: WsHub;
  /** The HTTP rate limit of this request's client address. */
  bucket: () => TokenBucket;
  startedAt: number;
  /** The daemon-wide budget of request-body bytes held at once. */
  bodies: ByteBudget;
}
