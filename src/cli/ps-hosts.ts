import type { ComponentInfo } from '../supervisor/types.js';
import { apiRequest, type DaemonTarget } from './daemon-client.js';
import { formatDuration, renderTable } from './format.js';

/** One host's last published table (GET /federation/hosts). */
export interface HostTable {
  host: string;
  at: number;
  age_ms: number;
  self?: boolean;
  components: ComponentInfo[];
}

/** GET /health's `federation`. */
export interface FederationHealth {
  state: string;
  host?: string;
  servers?: string[];
  backlog?: number;
  last_error?: string;
}

/** Every host's table as one: a HOST column and the table's AGE first. */
export function renderHosts(hosts: HostTable[]): string {
  const rows = hosts.flatMap((h) => {
    const age = h.self ? 'now' : `${formatDuration(h.age_ms)} ago`;
    if (h.components.length === 0) return [[h.host, age, '(no components)', '', '', '', '', '']];
    return h.components.map((c) => [h.host, age, c.name, c.state, c.pid === null ? '-' : String(c.pid), formatDuration(c.uptime_ms), String(c.restarts), c.health ?? '-']);
  });
  if (rows.length === 0) return 'no hosts\n';
  return renderTable(['HOST', 'AGE', 'NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'HEALTH'], rows);
}

/** The line `corral ps` prints under its table when federation is on (null when it is off or unknown). */
export function federationLine(f: FederationHealth | undefined): string | null {
  if (!f || f.state === 'off' || !f.state) return null;
  const servers = (f.servers ?? []).join(', ');
  const where = f.state === 'connected' ? `connected to ${servers}` : f.state === 'connecting' ? `connecting to ${servers}` : `${f.state} from ${servers}`;
  const backlog = f.backlog ? `, ${f.backlog} event${f.backlog === 1 ? '' : 's'} waiting to be forwarded` : '';
  return `federation: host ${f.host ?? '?'}, ${where}${backlog}${f.last_error && f.state !== 'connected' ? ` (${f.last_error})` : ''}`;
}

/** The daemon's federation state (undefined when /health does not say). */
export async function fetchFederation(target: DaemonTarget): Promise<FederationHealth | undefined> {
  const res = await apiRequest<{ federation?: FederationHealth }>(target, 'GET', '/health');
  return res.status === 200 ? res.body?.federation : undefined;
}
