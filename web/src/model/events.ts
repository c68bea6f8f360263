import { compileFilter, parseList } from '../../../src/bus/filter.js';
import { api, touch } from '../core.js';
import type { CorralEvent, EventFilter } from '../types.js';

/** Most events the stream keeps in the page (older ones are in the history: `corral events`). */
export const STREAM_MAX = 5000;

/** The filter as typed in the form: the bus's keys, `since` as an age or a date (as `corral events --since`). */
export interface FilterForm {
  event_type: string;
  source: string;
  session_id: string;
  /** Federation: the hosts events came from. */
  host: string;
  since: string;
}

export const stream = {
  /** Shown events, oldest first (the view lists them newest first). */
  list: [] as CorralEvent[],
  form: { event_type: '', source: '', session_id: '', host: '', since: '' } as FilterForm,
  formError: null as string | null,
  paused: false,
  /** Matching events that arrived while paused. */
  held: [] as CorralEvent[],
  /** Matching events seen since the page opened (the list keeps the last STREAM_MAX). */
  total: 0,
  /** Bumped when the list is replaced (the view resets its scroll). */
  generation: 0,
  loading: false,
};

let test: (e: CorralEvent) => boolean = () => true;
const ids = new Set<string>();

function append(list: CorralEvent[], e: CorralEvent): void {
  list.push(e);
  if (list.length > STREAM_MAX + 500) list.splice(0, list.length - STREAM_MAX);
}

/** A live event: into the list when it matches (or held while paused). */
export function streamEvent(e: CorralEvent): void {
  if (ids.has(e.id) || !test(e)) return;
  ids.add(e.id);
  if (ids.size > STREAM_MAX * 3) {
    ids.clear();
    for (const x of stream.list) ids.add(x.id);
  }
  stream.total++;
  if (stream.paused) append(stream.held, e);
  else append(stream.list, e);
  touch('events');
}

export function setPaused(paused: boolean): void {
  stream.paused = paused;
  if (!paused) {
    for (const e of stream.held) append(stream.list, e);
    stream.held = [];
  }
  touch('events');
}

/** `5m`, `2h`, `1d` ago, or a date; undefined when empty; throws with what was wrong. */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const age = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(t);
  if (age) return now - Number(age[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[age[2] as 's' | 'm' | 'h' | 'd'];
  if (/^\d{10,}$/.test(t)) return Number(t);
  const date = Date.parse(t);
  if (Number.isNaN(date)) throw new Error(`since: "${t}" is not an age (30s, 5m, 2h, 1d) or a date`);
  return date;
}

/**
 * Applies the filter: the bus's own filter function (src/bus/filter.ts) tests
 * live events, and the history is read again with the same filter, so the list
 * shows what `corral events` would.
 */
export async function applyFilter(form: FilterForm): Promise<void> {
  let filter: EventFilter;
  try {
    filter = {
      event_type: parseList(form.event_type).join(',') || undefined,
      source: parseList(form.source).join(',') || undefined,
      session_id: parseList(form.session_id).join(',') || undefined,
      host: parseList(form.host).join(',') || undefined,
      since: parseSince(form.since),
    };
  } catch (err) {
    stream.formError = (err as Error).message;
    touch('events');
    return;
  }
  stream.form = form;
  stream.formError = null;
  test = compileFilter(filter);
  stream.loading = true;
  touch('events');
  const q = new URLSearchParams({ limit: String(STREAM_MAX), order: 'desc' });
  for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, String(v));
  const r = await api<{ events: CorralEvent[] }>(`/events?${q}`);
  stream.loading = false;
  if (!r.body) {
    stream.formError = r.error;
    touch('events');
    return;
  }
  // Live events that arrived during the request are kept after the history.
  const live = stream.list.filter((e) => test(e));
  ids.clear();
  const list: CorralEvent[] = [];
  for (const e of [...r.body.events, ...live]) {
    if (ids.has(e.id)) continue;
    ids.add(e.id);
    list.push(e);
  }
  list.sort((a, b) => a.timestamp - b.timestamp);
  stream.list = list.slice(-STREAM_MAX);
  stream.held = [];
  stream.total = stream.list.length;
  stream.generation++;
  touch('events');
}
