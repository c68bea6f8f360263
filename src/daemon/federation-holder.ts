import type { FederationConfig } from '../config/federation-schema.js';
import type { Bus, EventStore } from '../bus/types.js';
import type { Logger } from '../plugins/types.js';
import type { FederationView } from '../server/types.js';
import type { ComponentInfo, Controller } from '../supervisor/types.js';
import { startFederation, type Federation } from '../federation/index.js';

/**
 * The daemon's federation, as it stands: off, or one running federation; a
 * reload that changes `federation:` closes it and starts it again with the
 * new settings (a new host name included). `view` is what the server sees.
 */
export function createFederationHolder(o: { bus: Bus; store: EventStore; configDir: string; logger: Logger; list: () => ComponentInfo[]; controller: () => Controller | null }) {
  let current: Federation | null = null;
  let cfg: FederationConfig | undefined;
  // Starts and reloads one at a time.
  let chain: Promise<void> = Promise.resolve();

  const start = (next: FederationConfig | undefined): void => {
    cfg = next;
    o.bus.setHost?.(next?.host);
    current = next ? startFederation({ config: next, configDir: o.configDir, bus: o.bus, store: o.store, logger: o.logger, list: o.list, controller: o.controller }) : null;
  };

  const view: FederationView = {
    status: () => current?.status() ?? { state: 'off' },
    hosts: () => current?.hosts() ?? Promise.resolve([]),
    request: (host, op, name) => current?.request(host, op, name) ?? Promise.resolve({ ok: false, status: 409, error: 'federation is off' }),
  };

  return {
    view,
    /** At serve time, with the config's `federation:` (nothing when it has none). */
    start(next: FederationConfig | undefined): void {
      start(next);
    },
    /** A reload: restarts federation when its settings changed. */
    apply(next: FederationConfig | undefined): Promise<void> {
      chain = chain.then(async () => {
        if (JSON.stringify(next) === JSON.stringify(cfg)) return;
        o.logger.info(next ? `federation: reconnecting with the new settings (host ${next.host})` : 'federation: turned off by the reload');
        await current?.close();
        current = null;
        start(next);
      });
      return chain;
    },
    close(): Promise<void> {
      chain = chain.then(async () => {
        await current?.close();
        current = null;
      });
      return chain;
    },
  };
}
export type FederationHolder = ReturnType<typeof createFederationHolder>;
