export { createClient } from './client.js';
export type { ClientOptions, ClientEvents, CorralClient, EventMeta, Resolvable } from './client.js';
export { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { busUrl } from './url.js';
