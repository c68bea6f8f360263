import { useState } from 'preact/hooks';
import { api, fmtDuration, fmtMb, getToken, useTopics } from '../core.js';
import { components, componentsChanged, type Row } from '../model/components.js';
import { showToast } from './toast.js';
import { Spark } from './spark.js';

const STATE_CLASS: Record<string, string> = {
  healthy: 'ok',
  running: 'ok',
  starting: 'info',
  pending: 'info',
  backoff: 'warning',
  unhealthy: 'warning',
  stopping: 'info',
  failed: 'critical',
  exited: '',
  stopped: '',
  disabled: '',
  inactive: '',
};

const LIVE = new Set(['running', 'healthy', 'unhealthy', 'starting', 'pending', 'backoff']);

/** The component table: state, pid, uptime, restarts, health, CPU and memory with their recent samples, and control. */
export function ComponentsView({ selected, onSelect, theme }: { selected: string | null; onSelect(name: string): void; theme: string }) {
  useTopics('components', 'token');
  const [busy, setBusy] = useState<Record<string, string>>({});
  const token = getToken();
  const rows = components.rows;

  async function act(name: string, action: 'start' | 'stop' | 'restart') {
    setBusy((b) => ({ ...b, [name]: action }));
    const r = await api<unknown>(`/api/components/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
    setBusy((b) => {
      const next = { ...b };
      delete next[name];
      return next;
    });
    if (r.error) showToast(`${action} ${name}: ${r.error}`, true);
    else showToast(`${name}: ${action} done`);
    componentsChanged();
  }

  if (!components.loaded) {
    return <div class="empty">{components.error ? `Cannot read the components: ${components.error}` : 'Reading the components…'}</div>;
  }
  if (rows.length === 0) return <div class="empty">No components in the config.</div>;
  const now = Date.now();
  return (
    <div class="table-wrap">
      <table class="components">
        <thead>
          <tr>
            <th>Component</th>
            <th>State</th>
            <th class="num hide-narrow">PID</th>
            <th class="num">Uptime</th>
            <th class="num">Restarts</th>
            <th class="hide-narrow">Health</th>
            <th class="num">CPU</th>
            <th class="num">Memory</th>
            <th class="hide-narrow">
              Trend<span class="legend-dot" style={{ background: 'var(--cpu)' }} />
              cpu<span class="legend-dot" style={{ background: 'var(--mem)' }} />
              mem
            </th>
            <th>Control</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((c, i) => {
            const row = <ComponentRow key={c.name} c={c} now={now} selected={selected === c.name} onSelect={onSelect} token={token} busy={busy[c.name]} act={act} theme={theme} />;
            // The replicas of an entry (`replicas: N`: NAME-1 … NAME-N) under a header with its name.
            if (!c.replica_of || rows[i - 1]?.replica_of === c.replica_of) return row;
            const n = rows.filter((r) => r.replica_of === c.replica_of).length;
            return [
              <tr key={`group:${c.replica_of}`} class="replica-group" data-testid="replica-group" data-component={c.replica_of}>
                <td colSpan={10}>
                  {c.replica_of} <span class="plugin">{n} replicas</span>
                </td>
              </tr>,
              row,
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  c: Row;
  now: number;
  selected: boolean;
  token: string | null;
  busy: string | undefined;
  theme: string;
  onSelect(name: string): void;
  act(name: string, action: 'start' | 'stop' | 'restart'): void;
}

function ComponentRow({ c, now, selected, token, busy, theme, onSelect, act }: RowProps) {
  const uptime = c.uptime_ms === null ? null : c.uptime_ms + (now - c.readAt);
  const why = c.reason ?? (c.state === 'backoff' && c.next_restart_in_ms !== null ? `restarting in ${fmtDuration(c.next_restart_in_ms)}` : null);
  const noControl = token ? undefined : 'needs the token: run `corral dashboard`';
  const live = LIVE.has(c.state);
  return (
    <tr
      data-testid="component-row"
      data-component={c.name}
      class={`${selected ? 'selected' : ''}${c.replica_of ? ' replica' : ''}`}
      onClick={() => onSelect(c.name)}
      title="show its log below"
    >
      <td class="c-name">
        <span class="name">{c.name}</span>
        <span class="plugin">{c.plugin}</span>
        {why && <div class={`reason ${c.state === 'failed' ? 'bad' : ''}`}>{why}</div>}
        {!why && c.last_exit && <div class="reason">last exit: {c.last_exit}</div>}
      </td>
      <td>
        <span data-testid="component-state" class={`state ${STATE_CLASS[c.state] ?? ''}`}>
          {c.state}
        </span>
      </td>
      <td class="num mono hide-narrow">{c.pid ?? '–'}</td>
      <td class="num" data-label="up">
        {fmtDuration(uptime)}
      </td>
      <td class="num" data-label="restarts">
        <span data-testid="component-restarts" class={`restarts ${c.restarts > 0 ? 'bumped' : ''}`}>
          {c.restarts}
        </span>
      </td>
      <td class="hide-narrow">{c.health ?? '–'}</td>
      <td class="num" data-label="cpu">
        {c.cpu_percent === null ? '–' : `${c.cpu_percent.toFixed(1)}%`}
      </td>
      <td class="num" data-label="mem">
        {fmtMb(c.memory_mb)}
      </td>
      <td class="hide-narrow">
        <Spark points={c.samples} theme={theme} />
      </td>
      <td class="c-ctl" onClick={(e) => e.stopPropagation()}>
        <div class="actions">
          <button class="btn" data-testid="component-start" disabled={!token || !!busy || live} title={noControl ?? `start ${c.name}`} onClick={() => act(c.name, 'start')}>
            Start
          </button>
          <button class="btn" data-testid="component-stop" disabled={!token || !!busy || !live} title={noControl ?? `stop ${c.name}`} onClick={() => act(c.name, 'stop')}>
            Stop
          </button>
          <button class="btn" data-testid="component-restart" disabled={!token || !!busy || c.state === 'disabled'} title={noControl ?? `restart ${c.name}`} onClick={() => act(c.name, 'restart')}>
            {busy === 'restart' ? '…' : 'Restart'}
          </button>
        </div>
      </td>
    </tr>
  );
}
