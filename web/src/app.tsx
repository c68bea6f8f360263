import { useEffect, useState } from 'preact/hooks';
import { conn } from './bus.js';
import { api, forgetToken, getToken, useTopics } from './core.js';
import { components, componentsChanged } from './model/components.js';
import { stream } from './model/events.js';
import { configInvalid } from './model/timeline.js';
import { ComponentsView } from './ui/components-view.js';
import { EventsView } from './ui/events-view.js';
import { HostsSection } from './ui/hosts-view.js';
import { LogsView } from './ui/logs-view.js';
import { SessionsView } from './ui/sessions-view.js';
import { AlertsList, TimelineChart } from './ui/timeline-view.js';
import { showToast, Toast } from './ui/toast.js';

/** The colour scheme the system asks for; the charts are redrawn when it changes. */
function useTheme(): string {
  const query = matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const on = () => setDark(query.matches);
    query.addEventListener('change', on);
    return () => query.removeEventListener('change', on);
  }, []);
  return dark ? 'dark' : 'light';
}

function ConnectionStatus() {
  // Not on every event: a change outside the event list lays the whole page out again.
  useTopics('conn');
  const [, tick] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => tick((n) => n + 1), 1000);
    return () => window.clearInterval(t);
  }, []);
  const text =
    conn.state === 'live'
      ? 'live'
      : conn.state === 'connecting'
        ? 'connecting…'
        : `reconnecting${conn.retryAt > Date.now() ? ` in ${Math.ceil((conn.retryAt - Date.now()) / 1000)}s` : '…'}`;
  return (
    <span class="conn" data-testid="connection-status" data-state={conn.state} title={`${stream.total} events received since this page opened`}>
      {text}
    </span>
  );
}

function Header() {
  useTopics('token');
  const token = getToken();
  const [reloading, setReloading] = useState(false);
  async function reload() {
    setReloading(true);
    const r = await api<{ ok: boolean; message: string; errors?: Array<{ path: string; message: string }> }>('/api/reload', { method: 'POST' });
    setReloading(false);
    if (r.body?.ok) showToast(r.body.message || 'config reloaded');
    else showToast(`reload: ${r.error ?? r.body?.message ?? 'failed'}`, true);
    componentsChanged();
  }
  return (
    <header class="top">
      <span class="brand">
        <img src="/favicon.svg" alt="" />
        corral
      </span>
      <nav>
        <a href="#components">Components</a>
        <a href="#timeline">Timeline</a>
        <a href="#events">Events</a>
        <a href="#sessions">Sessions</a>
        <a href="#logs">Logs</a>
      </nav>
      <span class="spacer" />
      <ConnectionStatus />
      <button class="btn" data-testid="reload" disabled={!token || reloading} title={token ? 're-read the config and apply the changes' : 'needs the token: run `corral dashboard`'} onClick={reload}>
        {reloading ? 'Reloading…' : 'Reload config'}
      </button>
      {token && (
        <button class="btn" title="forget the token: this tab becomes read-only" onClick={forgetToken}>
          Drop control
        </button>
      )}
    </header>
  );
}

export function App() {
  useTopics('token');
  const theme = useTheme();
  const [selected, setSelected] = useState<string | null>(null);
  useTopics('components');
  // The log follows the first component whose output corral logs (not a tmux one: that is in its window) until one is picked.
  const logName = selected ?? (components.rows.find((c) => c.plugin !== 'tmux') ?? components.rows[0])?.name ?? null;
  const token = getToken();
  // The first render is the header and the component table (the first view, bench/dashboard-first.js);
  // the other views render once it is on the screen.
  const [rest, setRest] = useState(false);
  useEffect(() => {
    let timer = 0;
    const frame = requestAnimationFrame(() => (timer = window.setTimeout(() => setRest(true), 0)));
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, []);
  return (
    <>
      <Header />
      {!token && (
        <div class="banner" data-testid="read-only">
          Read-only view. For control (start, stop, restart, reload) run <code>corral dashboard</code> in the project: it opens this page with the daemon's token.
        </div>
      )}
      <ConfigBanner />
      <main>
        <section class="panel wide" id="components">
          <h2>
            Components <span class="count">{components.rows.length > 0 ? `${components.rows.length}` : ''}</span>
          </h2>
          <ComponentsView selected={logName} onSelect={setSelected} theme={theme} />
        </section>
        <HostsSection />
        <section class="panel wide" id="timeline">
          <h2>Timeline</h2>
          {rest && <TimelineChart theme={theme} />}
          {rest && <AlertsList />}
        </section>
        <section class="panel" id="events">
          <h2>
            Events <EventCount />
          </h2>
          {rest && <EventsView />}
        </section>
        <section class="panel" id="sessions">
          <h2>Claude Code sessions</h2>
          {rest && <SessionsView />}
        </section>
        <section class="panel wide" id="logs">
          {rest && <LogsView name={logName} onSelect={setSelected} />}
        </section>
      </main>
      <Toast />
    </>
  );
}

/** While the config on disk is invalid (a CFG001 since the last valid reload): a banner until a valid reload. */
function ConfigBanner() {
  useTopics('timeline');
  const invalid = configInvalid();
  if (!invalid) return null;
  return (
    <div class="banner error" data-testid="config-invalid">
      config invalid{invalid.errors > 0 ? `: ${invalid.errors} ${invalid.errors === 1 ? 'error' : 'errors'}` : ''} — run <code>corral validate</code> to see where; the running config is unchanged until a valid reload
    </div>
  );
}

/** The count in the section's title, once a second (not at every render of the list, for the reason above). */
function EventCount() {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => tick((n) => n + 1), 1000);
    return () => window.clearInterval(t);
  }, []);
  return <span class="count">{stream.list.length > 0 ? `${stream.list.length} shown${stream.paused ? ' · paused' : ''}` : ''}</span>;
}
