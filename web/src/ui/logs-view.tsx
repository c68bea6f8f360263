import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, fmtTime, useTopics } from '../core.js';
import { components } from '../model/components.js';
import type { DashboardLog } from '../types.js';

const POLL_MS = 1000;

/** The tail of one component's log (what `corral logs NAME` shows, terminal escapes removed), following it. */
export function LogsView({ name, onSelect }: { name: string | null; onSelect(name: string): void }) {
  useTopics('components');
  const [log, setLog] = useState<DashboardLog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);

  useEffect(() => {
    setLog(null);
    setError(null);
    atBottom.current = true;
    if (!name) return;
    let stopped = false;
    let timer = 0;
    const ctrl = new AbortController();
    const read = async () => {
      if (document.visibilityState !== 'hidden') {
        const r = await api<DashboardLog>(`/dashboard/logs/${encodeURIComponent(name)}?lines=300`, { signal: ctrl.signal });
        if (stopped) return;
        if (r.body) {
          setLog(r.body);
          setError(null);
        } else setError(r.error);
      }
      if (!stopped) timer = window.setTimeout(read, POLL_MS);
    };
    void read();
    return () => {
      stopped = true;
      ctrl.abort();
      window.clearTimeout(timer);
    };
  }, [name]);

  // Rendered once per answer, not at every render of the page.
  const lines = useMemo(
    () =>
      log?.lines.map((l, i) => (
        <span key={i} class={l.stream === 'err' ? 'err' : ''}>
          <span class="lt">{l.time ? `${fmtTime(Date.parse(l.time))} ` : ''}</span>
          {`${l.text}\n`}
        </span>
      )),
    [log],
  );

  // A tmux component's output is in its tmux window, not in corral's log: say where, whatever the log holds.
  const tmux = components.rows.find((c) => c.name === name)?.plugin === 'tmux';
  const note = tmux ? `${name} runs in tmux: its output is in its tmux window — corral attach ${name}${log && log.lines.length > 0 ? '; below, what corral logged about it' : ''}` : log?.note;

  useLayoutEffect(() => {
    const el = box.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [log]);

  return (
    <>
      <h2>
        Log
        <span class="tools">
          <select class="pick" value={name ?? ''} onChange={(e) => onSelect((e.target as HTMLSelectElement).value)} aria-label="component">
            {components.rows.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </span>
      </h2>
      <pre
        class="logs"
        ref={box}
        data-testid="log-tail"
        onScroll={(e) => {
          const el = e.target as HTMLPreElement;
          atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        }}
      >
        {error && <span class="err">{error}</span>}
        {note && (
          <span class="lt" data-testid="log-note">
            {`${note}\n`}
          </span>
        )}
        {lines}
        {!name && 'Pick a component (or click its row) to follow its log.'}
      </pre>
    </>
  );
}
