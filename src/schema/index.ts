export * from './event-types.js';
export * from './payloads.js';
export * from './errors.js';
export * from './events.js';
export * from './publisher-rules.js';
export * from './messages.js';
