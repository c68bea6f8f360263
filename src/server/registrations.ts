import type { Logger } from '../plugins/types.js';
import type { OwnEventPayloads, OwnEventType, StopReason } from '../schema/payloads.js';
import type { Connection } from './ws-connection.js';

/** What the registrations need from the hub. */
export interface RegistrationDeps {
  /** The open connections (another one registered under a name may take it over). */
  conns: ReadonlySet<Connection>;
  publishSelf<K extends OwnEventType>(eventType: K, payload: OwnEventPayloads[K]): void;
  /** True for a component the supervisor runs: it reports that one's start and stop itself. */
  isSupervised(name: string): boolean;
  logger?: Logger;
}

/**
 * component.started/stopped for bus clients that register as a component,
 * tied to the connection that registered: only the connection whose register
 * published a name's component.started publishes its component.stopped.
 */
export interface Registrations {
  /** After a client's `register` (its `component` is set; `previous` is what it was). */
  onRegister(c: Connection, previous: string | null): void;
  /**
   * `c` leaves `name` (closed, or registered as something else): when its
   * register published the name's component.started, component.stopped is
   * published, and another connection still registered under the name takes
   * it over (with its own component.started). A connection that registered a
   * name someone else holds publishes neither.
   */
  release(c: Connection, name: string, reason: StopReason, code: number | null): void;
}

export function createRegistrations(deps: RegistrationDeps): Registrations {
  const { conns, publishSelf, isSupervised } = deps;
  // Connections registered under the name of a component the supervisor runs.
  const asSupervised = new WeakSet<Connection>();
  // The connection whose register published component.started for a name.
  const owners = new Map<string, Connection>();

  function componentStarted(conn: Connection): void {
    if (conn.component === null) return;
    publishSelf('component.started', {
      component: conn.component,
      pid: null,
      generation: 1,
      plugin: 'websocket',
      command: null,
      client_id: conn.id,
      remote_address: conn.remote,
      ...(conn.version !== null ? { version: conn.version } : {}),
      capabilities: conn.capabilities,
    });
  }

  function componentStopped(conn: Connection, name: string, reason: StopReason, code: number | null): void {
    publishSelf('component.stopped', {
      component: name,
      pid: null,
      generation: 1,
      exit_code: null,
      signal: null,
      reason,
      runtime_ms: Date.now() - conn.connectedAt,
      restarts: 0,
      next_restart_in_ms: null,
      client_id: conn.id,
      close_code: code,
    });
  }

  /**
   * `c` leaves `name` (closed, or registered as something else): when its
   * register published the name's component.started, component.stopped is
   * published, and another connection still registered under the name takes
   * it over (with its own component.started). A connection that registered a
   * name someone else holds publishes neither.
   */
  function releaseName(c: Connection, name: string, reason: StopReason, code: number | null): void {
    if (owners.get(name) !== c) return;
    owners.delete(name);
    componentStopped(c, name, reason, code);
    for (const other of conns) {
      if (other === c || other.component !== name || asSupervised.has(other)) continue;
      owners.set(name, other);
      componentStarted(other);
      return;
    }
  }

  function onRegister(c: Connection, previous: string | null): void {
    if (previous && previous !== c.component) releaseName(c, previous, 'stopped', null);
    asSupervised.delete(c);
    // A component corral supervises (one of its processes registering, or anyone using its name) is
    // reported by the supervisor: component.started/stopped here would contradict `corral ps`.
    if (c.component && isSupervised(c.component)) {
      asSupervised.add(c);
      return;
    }
    if (!c.component || owners.has(c.component)) {
      const owner = c.component ? owners.get(c.component) : undefined;
      if (owner && owner !== c) deps.logger?.debug('a second bus client registered a name already registered', { component: c.component, client: c.id, owner: owner.id });
      return;
    }
    owners.set(c.component, c);
    componentStarted(c);
  }

  return { onRegister, release: releaseName };
}
