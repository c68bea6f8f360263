import { useEffect, useState } from 'preact/hooks';

/**
 * What changed, by area. Data arrives at any rate (a firehose is a thousand
 * events a second); each area is marked dirty and its views re-render at most
 * once per animation frame.
 */
export type Topic = 'components' | 'events' | 'timeline' | 'sessions' | 'conn' | 'token' | 'logs';

const listeners = new Map<Topic, Set<() => void>>();
const dirty = new Set<Topic>();
let scheduled = false;

/**
 * The shortest time between two renders of an area. Nobody reads a stream
 * that scrolls sixty times a second; rendering the event list ten times a
 * second keeps a firehose from taking the page's main thread.
 */
const MIN_INTERVAL: Partial<Record<Topic, number>> = { events: 100, sessions: 250, timeline: 500 };
const lastFlush = new Map<Topic, number>();
const waiting = new Set<Topic>();

function flush(): void {
  scheduled = false;
  const now = performance.now();
  const topics: Topic[] = [];
  for (const t of dirty) {
    const min = MIN_INTERVAL[t] ?? 0;
    const since = now - (lastFlush.get(t) ?? -Infinity);
    if (since >= min) topics.push(t);
    else if (!waiting.has(t)) {
      // Too soon: render it when its interval is over.
      waiting.add(t);
      window.setTimeout(() => {
        waiting.delete(t);
        schedule();
      }, min - since);
    }
  }
  for (const t of topics) {
    dirty.delete(t);
    lastFlush.set(t, now);
  }
  for (const t of topics) for (const l of listeners.get(t) ?? []) l();
}

function schedule(): void {
  if (scheduled || dirty.size === 0) return;
  scheduled = true;
  if (document.visibilityState === 'hidden') window.setTimeout(flush, 250);
  else requestAnimationFrame(flush);
}

/** Marks an area changed; its views render on the next frame (no more often than its MIN_INTERVAL). */
export function touch(topic: Topic): void {
  dirty.add(topic);
  if (!waiting.has(topic)) schedule();
}

export function listen(topic: Topic, fn: () => void): () => void {
  let set = listeners.get(topic);
  if (!set) listeners.set(topic, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

/** Re-renders the calling component when one of the topics changes. */
export function useTopics(...topics: Topic[]): void {
  const [, setN] = useState(0);
  useEffect(() => {
    const offs = topics.map((t) => listen(t, () => setN((n) => n + 1)));
    return () => offs.forEach((off) => off());
  }, [topics.join()]);
}

// ---- the token: `corral dashboard` opens the page with #token=…; it moves to sessionStorage at once.

const TOKEN_KEY = 'corral.token';

/** Moves a `#token=…` from the URL into sessionStorage and takes it out of the address bar and history. */
export function takeTokenFromUrl(): void {
  const hash = location.hash.replace(/^#/, '');
  if (!hash) return;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (token === null) return;
  if (token !== '') sessionStorage.setItem(TOKEN_KEY, token);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  touch('token');
}

// ---- HTTP

export interface Answer<T> {
  status: number;
  body: T | null;
  error: string | null;
}

/** One request to the daemon (same origin); the token as a Bearer header when the page has one. */
export async function api<T>(path: string, init: { method?: string; signal?: AbortSignal; preloaded?: boolean } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    // A request index.html preloaded is asked exactly as the preload was (no header, default cache), so the browser hands that answer over.
    const res = await fetch(path, init.preloaded ? { credentials: 'same-origin', mode: 'cors' } : { method: init.method ?? 'GET', headers: { accept: 'application/json', ...headers }, signal: init.signal, cache: 'no-store' });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {}
    const error = res.ok ? null : ((body as { error?: string } | null)?.error ?? `${res.status} ${res.statusText}`);
    if (res.status === 401 && token && path.startsWith('/api/')) forgetToken();
    return { status: res.status, body: res.ok ? (body as T) : null, error };
  } catch (err) {
    return { status: 0, body: null, error: (err as Error).message };
  }
}

// ---- formatting

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** HH:MM:SS in local time. By hand: toLocaleTimeString costs a formatter per call, and it runs per row. */
export function fmtTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(ms: number | null): string {
  if (ms === null || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function fmtMb(mb: number | null): string {
  if (mb === null) return '–';
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb.toFixed(mb < 10 ? 1 : 0)} MB`;
}

/** A CSS custom property's value (the theme's colours, for the charts). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
