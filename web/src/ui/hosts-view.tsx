import { useEffect, useState } from 'preact/hooks';
import { api, fmtDuration, getToken, useTopics } from '../core.js';

/** One host of GET /federation/hosts (src/federation/hosts-kv.ts): its last component table and its age. */
interface HostRow {
  host: string;
  age_ms: number;
  self: boolean;
  components: Array<{ name: string; state: string }>;
}

const EVERY_MS = 5000;

/** "3 running, 1 crashed": the components of a host by state. */
function states(list: HostRow['components']): string {
  const by = new Map<string, number>();
  for (const c of list) by.set(c.state, (by.get(c.state) ?? 0) + 1);
  return [...by].map(([s, n]) => `${n} ${s}`).join(', ') || 'none';
}

/**
 * The federated hosts (docs/federation.md): shown only when federation is on
 * and the page may read GET /federation/hosts (it needs the token). Polled.
 */
export function HostsSection() {
  useTopics('token');
  const token = getToken();
  const [hosts, setHosts] = useState<HostRow[] | null>(null);
  useEffect(() => {
    if (!token) {
      setHosts(null);
      return;
    }
    let gone = false;
    const read = async () => {
      // Federation off (GET /health says so): nothing to ask, and no 409 to log.
      const health = await api<{ federation?: { state?: string } }>('/health');
      const state = health.body?.federation?.state ?? 'off';
      const r = state === 'off' ? null : await api<{ hosts: HostRow[] }>('/federation/hosts');
      if (!gone) setHosts(r?.body?.hosts ?? null);
    };
    void read();
    const t = window.setInterval(() => void read(), EVERY_MS);
    return () => {
      gone = true;
      window.clearInterval(t);
    };
  }, [token]);
  if (!hosts || hosts.length === 0) return null;
  return (
    <section class="panel wide" id="hosts" data-testid="hosts">
      <h2>
        Hosts <span class="count">{hosts.length}</span>
      </h2>
      <div class="table-wrap">
        <table class="components">
          <thead>
            <tr>
              <th>host</th>
              <th>table age</th>
              <th>components</th>
              <th>states</th>
            </tr>
          </thead>
          <tbody>
            {hosts.map((h) => (
              <tr key={h.host} data-testid="host-row" data-host={h.host}>
                <td>
                  {h.host}
                  {h.self ? ' (this host)' : ''}
                </td>
                <td class="mono">{h.self ? 'now' : fmtDuration(h.age_ms)}</td>
                <td>{h.components.length}</td>
                <td>{states(h.components)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
