import { createBus } from '../../../src/bus/bus.js';
import { ComponentSchema, ConfigSchema, type ComponentConfig, type CorralConfig } from '../../../src/config/schema.js';
import type { Bus } from '../../../src/bus/types.js';
import type { CorralEvent } from '../../../src/schema/events.js';

export function componentConfig(input: Record<string, unknown> = {}): ComponentConfig {
  return ComponentSchema.parse({ command: 'fake', ...input });
}

export function corralConfig(components: Record<string, Record<string, unknown>>): CorralConfig {
  const filled = Object.fromEntries(Object.entries(components).map(([k, v]) => [k, { command: 'fake', ...v }]));
  return ConfigSchema.parse({ components: filled });
}

/** A real bus without a store, and every event it carried. */
export function recordingBus(): { bus: Bus; events: CorralEvent[]; of(type: string, component?: string): CorralEvent[] } {
  const bus = createBus();
  const events: CorralEvent[] = [];
  bus.subscribe({}, (entry) => events.push(entry.event));
  return {
    bus,
    events,
    of: (type, component) =>
      events.filter((e) => e.event_type === type && (component === undefined || e.payload.component === component)),
  };
}
