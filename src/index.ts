// The public API of corral: re-exports only.
export * from './schema/index.js';
export * from './plugins/types.js';
export type { BusEntry, PublishResult } from './bus/types.js';
export type { CorralConfig, CorralConfigInput, ComponentConfig } from './config/schema.js';
export { createClient, backoffDelay } from './client/index.js';
export type { ClientOptions, ClientEvents, CorralClient, EventMeta, BackoffOptions, Resolvable } from './client/index.js';
