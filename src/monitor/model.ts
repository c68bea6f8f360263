import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { compileFilter } from '../bus/filter.js';

/** One row of the monitor's component table. */
export interface ComponentRow {
  name: string;
  state: string;
  restarts: number;
  cpu_percent: number | null;
  memory_mb: number | null;
  health: string | null;
  alert: string | null;
}

/** Everything the monitor shows; the renderer is a pure function of it. */
export interface MonitorState {
  url: string;
  components: Map<string, ComponentRow>;
  events: CorralEvent[];
  filter: EventFilter;
  input: string;
  status: string;
  connected: boolean;
  /** Lines scrolled up from the newest event (0 follows the tail). */
  scroll: number;
  /** When the table was last read from the API: older events do not override it. */
  tableAt?: number;
}

/** How many events the monitor keeps in memory. */
export const MAX_EVENTS = 1000;

export function createMonitorState(url: string, filter: EventFilter = {}): MonitorState {
  return { url, components: new Map(), events: [], filter, input: '', status: '', connected: false, scroll: 0 };
}

/** Replaces the table with a fresh `GET /api/components` answer (keeping alerts the API does not carry). */
export function applyComponents(state: MonitorState, list: ComponentInfo[]): void {
  const next = new Map<string, ComponentRow>();
  for (const c of list) {
    next.set(c.name, {
      name: c.name,
      state: c.state,
      restarts: c.restarts,
      cpu_percent: c.cpu_percent,
      memory_mb: c.memory_mb,
      health: c.health,
      alert: state.components.get(c.name)?.alert ?? null,
    });
  }
  state.components = next;
  state.tableAt = Date.now();
}


/** What an event says about a component, applied to the table before the next poll confirms it. */
function applyToTable(state: MonitorState, e: CorralEvent): void {
  const p = e.payload as Record<string, any>;
  const name = typeof p.component === 'string' ? p.component : null;
  if (!name || !(e.event_type.startsWith('component.') || e.event_type === 'resource.alert')) return;
  // History from before the last API read (the events `initial` replays) would roll the table back.
  if (state.tableAt !== undefined && e.timestamp <= state.tableAt) return;
  // Only supervised components have rows (from the API): a bus client that
  // registers also gets component.started, but it is not one of them.
  const r = state.components.get(name);
  if (!r) return;
  switch (e.event_type) {
    case 'component.started':
      r.state = 'running';
      break;
    case 'component.stopped':
      r.state = p.next_restart_in_ms != null ? 'backoff' : p.reason === 'crashed' || p.reason === 'failed' ? 'failed' : p.reason === 'exited' ? 'exited' : 'stopped';
      if (typeof p.restarts === 'number') r.restarts = p.restarts;
      break;
    case 'component.health':
      if (typeof p.status === 'string') r.health = p.status;
      break;
    case 'resource.alert': {
      const m = (p.metrics ?? {}) as Record<string, unknown>;
      if (typeof m.cpu_percent === 'number') r.cpu_percent = m.cpu_percent;
      if (typeof m.memory_mb === 'number') r.memory_mb = m.memory_mb;
      r.alert = typeof p.alert_level === 'string' && p.alert_level !== 'info' ? p.alert_level : null;
      break;
    }
  }
}

/** Adds events (oldest first), skipping ones already held, and updates the table from them. */
export function addEvents(state: MonitorState, events: CorralEvent[]): void {
  const seen = new Set(state.events.slice(-200).map((e) => e.id));
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    state.events.push(e);
    applyToTable(state, e);
    if (state.scroll > 0) state.scroll++;
  }
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

/** The held events that pass the current filter, oldest first. */
export function visibleEvents(state: MonitorState): CorralEvent[] {
  const match = compileFilter(state.filter);
  return state.events.filter(match);
}
