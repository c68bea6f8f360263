import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { fmtTime, useTopics } from '../core.js';
import { applyFilter, setPaused, stream, type FilterForm } from '../model/events.js';
import { summarizeEvent } from '../../../src/schema/event-summary.js';
import type { CorralEvent } from '../types.js';

const ROW = 26;
const OVERSCAN = 4;

function typeClass(t: string): string {
  if (t.startsWith('component.')) return 't-component';
  if (t.startsWith('error.')) return 't-error';
  if (t.startsWith('resource.')) return 't-resource';
  if (t.startsWith('config.')) return 't-config';
  return /^[A-Z]/.test(t) ? 't-hook' : '';
}

/** One line of an event: what `corral events` and `corral monitor` say of it (src/schema/event-summary.ts). */
function summary(e: CorralEvent): string {
  const line = summarizeEvent(e).replace(/\s+/g, ' ').trim();
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}

/** The live stream with the bus's filters, pause/resume, and an event's JSON on click. Only the rows in view exist. */
export function EventsView() {
  useTopics('events');
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(380);
  const [selected, setSelected] = useState<CorralEvent | null>(null);
  const [form, setForm] = useState<FilterForm>(stream.form);
  const seen = useRef({ length: 0, generation: stream.generation, last: '' });

  const list = stream.list;
  const n = list.length;

  // New events land on top: when the reader has scrolled down, keep what they read where it was.
  // The position comes from the scroll events (reading scrollTop here would force a layout per render).
  const at = useRef(0);
  useLayoutEffect(() => {
    const el = box.current;
    const s = seen.current;
    if (!el) return;
    const newest = n > 0 ? list[n - 1]!.id : '';
    let top = at.current;
    if (s.generation !== stream.generation) top = 0;
    else if (top > 0 && newest !== s.last && n > 0) {
      let added = 0;
      for (let i = n - 1; i >= 0 && list[i]!.id !== s.last; i--) added++;
      if (added < n) top += added * ROW;
    }
    if (top !== at.current || (s.generation !== stream.generation && el.scrollTop !== 0)) {
      el.scrollTop = top;
      at.current = top;
      setScroll(top);
    }
    s.length = n;
    s.generation = stream.generation;
    s.last = newest;
  });

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scroll / ROW) - OVERSCAN);
  const last = Math.min(n, Math.ceil((scroll + height) / ROW) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    const e = list[n - 1 - i]!;
    rows.push(
      <div
        key={e.id}
        class={`event-row ${selected?.id === e.id ? 'selected' : ''}`}
        data-testid="event-row"
        data-event-type={e.event_type}
        data-event-id={e.id}
        data-host={e.host ?? ''}
        onClick={() => setSelected(selected?.id === e.id ? null : e)}
      >
        <span class="mono">{fmtTime(e.timestamp)}</span>
        <span class={`etype ${typeClass(e.event_type)}`}>{e.event_type}</span>
        <span class="esource">{e.host ? `${e.source}@${e.host}` : e.source}</span>
        <span>{summary(e)}</span>
      </div>,
    );
  }

  const field = (key: keyof FilterForm, placeholder: string, title: string) => (
    <input name={key} placeholder={placeholder} title={title} value={form[key]} onInput={(ev) => setForm({ ...form, [key]: (ev.target as HTMLInputElement).value })} />
  );

  return (
    <>
      <form
        class="filters"
        onSubmit={(ev) => {
          ev.preventDefault();
          void applyFilter(form);
        }}
      >
        {field('event_type', 'type: component.*', 'event types: a comma list; a name ending in * is a prefix')}
        {field('source', 'source', 'sources: a comma list')}
        {field('session_id', 'session', 'session ids: a comma list')}
        {field('host', 'host', 'hosts (federation): a comma list')}
        {field('since', 'since: 5m', 'an age (30s, 5m, 2h, 1d) or a date')}
        <button class="btn" type="submit">
          {stream.loading ? '…' : 'Apply'}
        </button>
        <button class={`btn ${stream.paused ? 'on' : ''}`} type="button" data-testid="events-pause" onClick={() => setPaused(!stream.paused)}>
          {stream.paused ? `Resume (${stream.held.length} new)` : 'Pause'}
        </button>
      </form>
      {stream.formError && <div class="form-error">{stream.formError}</div>}
      <div
        class="vlist"
        ref={box}
        onScroll={(ev) => {
          at.current = (ev.target as HTMLDivElement).scrollTop;
          setScroll(at.current);
        }}
      >
        <div class="vlist-inner" style={{ height: `${n * ROW}px` }}>
          {/* The rows in view, in normal flow, moved down to where they belong: a new event inserts one row and removes one. */}
          <div class="vlist-window" style={{ transform: `translateY(${first * ROW}px)` }}>
            {rows}
          </div>
        </div>
        {n === 0 && <div class="empty">{stream.loading ? 'Reading the history…' : 'No events match yet.'}</div>}
      </div>
      {selected && (
        <pre class="detail" data-testid="event-json">
          {JSON.stringify(selected, null, 2)}
        </pre>
      )}
    </>
  );
}
