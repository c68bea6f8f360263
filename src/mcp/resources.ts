import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createClient, type CorralClient } from '../client/client.js';
import { busClientTarget } from '../cli/daemon-client.js';
import { compactEvent } from './bounded.js';
import type { DaemonLink } from './daemon-link.js';
import { componentRow } from './tools.js';

export const COMPONENTS_URI = 'corral://components';
export const ERRORS_URI = 'corral://errors';

/** Events that change the component table (and so the components resource). */
const TABLE_EVENTS = 'component.*';
const ERROR_EVENTS = 'error.*,resource.alert';
const NOTIFY_MS = 100;
/** How long a subscribe waits for the bus follow to be live before it answers anyway. */
const FOLLOW_WAIT_MS = 3000;

/**
 * The component table and the last errors as MCP resources. A client that
 * subscribes to one is sent `notifications/resources/updated` whenever an
 * event that changes it reaches the bus: corral mcp follows the bus (a
 * WebSocket client that finds the daemon through the state directory, so it
 * follows a restarted or moved daemon) only while something is subscribed.
 */
export function registerResources(server: McpServer, link: DaemonLink): { close(): Promise<void> } {
  server.registerResource(
    'components',
    COMPONENTS_URI,
    { title: 'Components', description: 'The live component table: state, pid, uptime, restarts, health, CPU, memory, last exit and reason of each component.', mimeType: 'application/json' },
    async (uri) => {
      const rows = (await link.components()).map(componentRow);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ components: rows }, null, 1) }] };
    },
  );
  server.registerResource(
    'errors',
    ERRORS_URI,
    { title: 'Last errors', description: "corral's last 20 error events and resource alerts.", mimeType: 'application/json' },
    async (uri) => {
      const page = await link.events({ event_type: ERROR_EVENTS, limit: 20, order: 'desc' });
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ events: page.events.map(compactEvent) }, null, 1) }] };
    },
  );

  const subscribed = new Set<string>();
  let client: CorralClient | null = null;
  let reconnected = false;
  // One notification per resource per NOTIFY_MS at most: a crash loop or a firehose of alerts does not flood the client.
  const pending = new Map<string, NodeJS.Timeout>();
  const notify = (uri: string) => {
    if (!subscribed.has(uri) || pending.has(uri)) return;
    pending.set(
      uri,
      setTimeout(() => {
        pending.delete(uri);
        if (subscribed.has(uri)) server.server.sendResourceUpdated({ uri }).catch(() => {});
      }, NOTIFY_MS),
    );
  };

  // Resolved once the bus follow is live (its first `initial` came), so a change right after subscribing is not missed.
  let live: Promise<void> = Promise.resolve();
  const follow = (): Promise<void> => {
    if (client) return live;
    let target;
    try {
      target = link.target();
    } catch {
      return Promise.resolve();
    }
    const c = createClient({ ...busClientTarget(target), filter: { event_type: `${TABLE_EVENTS},${ERROR_EVENTS}` } });
    c.on('event', (event, meta) => {
      // The history sent on the first connect is what the client reads anyway; a replay after a reconnect is news.
      if (meta.replay && !reconnected) return;
      notify(event.event_type.startsWith('component.') ? COMPONENTS_URI : ERRORS_URI);
    });
    c.on('open', ({ reconnect }) => {
      if (reconnect) reconnected = true;
    });
    // The client reconnects by itself; a daemon that is not up yet is not an error here.
    c.on('error', () => {});
    live = new Promise<void>((resolve) => {
      // A daemon that is not up yet: the subscription stands, and the follow starts when it comes.
      const timer = setTimeout(resolve, FOLLOW_WAIT_MS);
      const off = c.on('initial', () => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    c.connect().catch(() => {});
    client = c;
    return live;
  };
  const unfollow = async () => {
    const c = client;
    client = null;
    reconnected = false;
    for (const t of pending.values()) clearTimeout(t);
    pending.clear();
    await c?.close();
  };

  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    const uri = req.params.uri;
    if (uri !== COMPONENTS_URI && uri !== ERRORS_URI) throw new Error(`no resource ${uri} to subscribe to (${COMPONENTS_URI}, ${ERRORS_URI})`);
    subscribed.add(uri);
    await follow();
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    if (subscribed.size === 0) await unfollow();
    return {};
  });
  return { close: unfollow };
}
