import { CONTROL_ROUTES } from './routes-control.js';
import { DECISION_ROUTES } from './routes-decisions.js';
import { NOTIFY_ROUTES } from './routes-notify.js';
import { FEDERATION_ROUTES } from './routes-federation.js';
import { getEvents, getFilterOptions, getRecent, postEvents, postHook } from './routes-events.js';
import { getHealth } from './routes-health.js';
import type { Route, UpgradeContext } from './routes.js';
import type { DashboardRoutes } from './routes-dashboard.js';
import { COMPAT_STREAM_PATH } from './ws-hub.js';

/**
 * Every route of the daemon's server, in one table: the HTTP API, the
 * control API and the two WebSocket paths (the bus at `wsPath`, the
 * observability dashboard's `/stream`). 404, 405 and `Allow` are derived
 * from it (routes.ts); each route's `auth` is checked before its handler runs.
 */
export function routeTable(wsPath: string, accept: (u: UpgradeContext) => void, dashboard: DashboardRoutes): Route[] {
  return [
    { method: 'GET', path: '/health', auth: 'none', handler: getHealth },
    { method: 'GET', path: '/events', auth: 'publish', handler: getEvents },
    { method: 'POST', path: '/events', auth: 'publish', handler: postEvents },
    { method: 'GET', path: '/events/recent', auth: 'publish', handler: getRecent },
    { method: 'GET', path: '/events/filter-options', auth: 'publish', handler: getFilterOptions },
    { method: 'POST', path: '/hooks/:event', auth: 'publish', handler: (ctx, p) => postHook(ctx, p.event!) },
    // The web dashboard's read-only data: the same access as reading the bus (routes-dashboard.ts).
    { method: 'GET', path: '/dashboard/components', auth: 'publish', handler: dashboard.components },
    { method: 'GET', path: '/dashboard/logs/:name', auth: 'publish', handler: dashboard.log },
    ...CONTROL_ROUTES,
    ...DECISION_ROUTES,
    ...NOTIFY_ROUTES,
    ...FEDERATION_ROUTES,
    { method: 'GET', path: wsPath, auth: 'publish', upgrade: accept },
    ...(wsPath !== COMPAT_STREAM_PATH ? [{ method: 'GET', path: COMPAT_STREAM_PATH, auth: 'publish', upgrade: accept } as const] : []),
  ];
}
