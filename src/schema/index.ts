export * from './event-types.js';
export * from './payloads.js';
export * from './errors.js';
export * from './events.js';
export * from './messages.js';
