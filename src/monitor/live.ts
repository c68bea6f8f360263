import { createClient } from '../client/index.js';
import type { ConnectLive } from './app.js';

/** How the monitor introduces itself on the bus. */
export const MONITOR_REGISTRATION = { component: 'cli-monitor', capabilities: ['display', 'filtering'] };

/**
 * The monitor's live feed: a corral client registered as `cli-monitor`. The
 * client reconnects by itself and resumes after the last event it saw; each
 * `subscribe` makes the server answer with recent events matching the new filter.
 */
export const connectLive: ConnectLive = async (target, filter, handlers) => {
  // Follows the daemon to a new port after a reload (daemon.json is re-read on every reconnect).
  const client = createClient({ ...target.bus, component: MONITOR_REGISTRATION, filter });
  client.on('event', (event, meta) => handlers.onEvents([event], meta.replay));
  client.on('open', ({ reconnect }) => handlers.onConnection(true, reconnect ? 'reconnected to the bus' : undefined));
  client.on('close', ({ reconnecting, reason }) =>
    handlers.onConnection(false, `bus connection lost${reason ? ` (${reason})` : ''}${reconnecting ? '; reconnecting…' : ''}`),
  );
  client.on('error', (err) => handlers.onError(`${err.error_code}: ${err.error_message}`));
  await client.connect();
  return {
    subscribe: (next) => client.subscribe(next),
    close: () => void client.close(),
  };
};
