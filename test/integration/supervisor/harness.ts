import { fileURLToPath } from 'node:url';
import { createBus } from '../../../src/bus/bus.js';
import { ConfigSchema } from '../../../src/config/schema.js';
import type { CorralEvent } from '../../../src/schema/events.js';
import type { ComponentLifecycle } from '../../../src/plugins/types.js';
import { runProcess, isGroupAlive, isProcessRunning, listGroupMembers, signalGroup } from '../../../src/runners/process/index.js';
import { createSupervisor, type Supervisor } from '../../../src/supervisor/supervisor.js';
export { freePort } from '../../helpers/free-port.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const fixture = (name: string) => `${FIXTURES}${name}`;

export interface Harness {
  supervisor: Supervisor;
  events: CorralEvent[];
  of(type: string, component?: string): CorralEvent[];
  /** Every process group any component ever had. */
  pgids: Set<number>;
  /** Every pid ever seen in those groups (grandchildren included, when looked up with `noteMembers`). */
  seen: Set<number>;
  noteMembers(): void;
  /** Stops everything and SIGKILLs any group still alive, whatever happened in the test. */
  cleanup(): Promise<void>;
}

/** A supervisor over real processes (the process runner, no plugins), on a real bus without a store. */
export function harness(components: Record<string, Record<string, unknown>>): Harness {
  const bus = createBus();
  const events: CorralEvent[] = [];
  const pgids = new Set<number>();
  const seen = new Set<number>();
  bus.subscribe({}, (entry) => {
    events.push(entry.event);
    if (entry.event.event_type === 'component.started' && typeof entry.event.payload.pid === 'number') pgids.add(entry.event.payload.pid);
  });
  const config = ConfigSchema.parse({ components });
  const supervisor = createSupervisor({
    bus,
    config,
    resolveLifecycle: async (name, c): Promise<ComponentLifecycle> => ({
      start: () => runProcess({ name, command: c.command!, shell: c.shell, cwd: c.cwd ?? FIXTURES, env: c.env }),
    }),
  });
  const noteMembers = () => {
    for (const g of pgids) for (const pid of listGroupMembers(g)) seen.add(pid);
  };
  return {
    supervisor,
    events,
    of: (type, component) => events.filter((e) => e.event_type === type && (component === undefined || e.payload.component === component)),
    pgids,
    seen,
    noteMembers,
    async cleanup() {
      await supervisor.stopAll(5000).catch(() => {});
      for (const g of pgids) if (isGroupAlive(g)) signalGroup(g, 'SIGKILL');
      for (const pid of seen) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    },
  };
}

/** Live (non-zombie) pids among these. */
export function alive(pids: Iterable<number>): number[] {
  return [...pids].filter((pid) => isProcessRunning(pid));
}

