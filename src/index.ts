// The public API of corral: re-exports only.
export * from './schema/index.js';
export * from './plugins/types.js';
export { processlessInstance, type ProcesslessInstance } from './plugins/instance.js';
export type { BusEntry, PublishResult } from './bus/types.js';
export type { CorralConfig, CorralConfigInput, ComponentConfig } from './config/schema.js';
export { createClient, backoffDelay } from './client/index.js';
export type { ClientOptions, ClientEvents, CorralClient, EventMeta, BackoffOptions, Resolvable } from './client/index.js';
// For a plugin's own tests: a real bus, and the plugin set up as the daemon would set it up.
export { createBus, type BusOptions } from './bus/bus.js';
export type { Bus } from './bus/types.js';
export { createPluginComponent, type PluginComponent, type PluginComponentOptions } from './plugins/standalone.js';
