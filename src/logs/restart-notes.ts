import type { Bus } from '../bus/types.js';
import type { StoppedPayload } from '../schema/payloads.js';

/** Causes of a stop after which corral does not start the component again by itself. */
const FINAL_CAUSES = new Set(['stop requested', 'corral down', 'disabled in the config', 'removed from the config']);

/** `corral down NAME...` names what it stops in its cause (src/daemon/selection.ts). */
const isFinal = (cause: string): boolean => FINAL_CAUSES.has(cause) || cause.startsWith('corral down ');

/** Why a generation ended, as a restart's cause: the stop's own cause, else how it exited. */
function causeOf(p: StoppedPayload): string {
  if (p.cause) return p.cause;
  if (p.signal) return `${p.reason}: signal ${p.signal}`;
  return `${p.reason}: exit code ${p.exit_code ?? 'unknown'}`;
}

/**
 * Writes `[corral] restarted (CAUSE)` into a component's own log each time it
 * starts again after a stop that was not final: a crash restart after its
 * backoff, a liveness or resource restart, a watched file, a changed config, a
 * `corral restart`. `corral logs NAME` then shows where each run began, and why.
 * Registrations of bus clients (which have no log) are left out.
 */
export function noteRestarts(bus: Bus, write: (component: string, line: string) => void): () => void {
  const pending = new Map<string, string>();
  return bus.subscribe({ event_type: 'component.stopped,component.started,error.CMP002', source: 'corral' }, ({ event }) => {
    const p = event.payload as Partial<StoppedPayload> & { component?: unknown; client_id?: unknown };
    if (typeof p.component !== 'string' || p.client_id !== undefined) return;
    // Given up (crash loop): whatever starts it next is a new start, not this restart.
    if (event.event_type === 'error.CMP002') return void pending.delete(p.component);
    if (event.event_type === 'component.stopped') {
      const stopped = p as StoppedPayload;
      const again = stopped.next_restart_in_ms !== null || (stopped.cause !== undefined && !isFinal(stopped.cause));
      if (again) pending.set(p.component, causeOf(stopped));
      else pending.delete(p.component);
      return;
    }
    const cause = pending.get(p.component);
    if (cause === undefined) return;
    pending.delete(p.component);
    write(p.component, `[corral] restarted (${cause})`);
  });
}
