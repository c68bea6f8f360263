import { api, touch } from '../core.js';
import type { DashboardComponent, DashboardComponents, ResourcePoint } from '../types.js';

/** A component row: the daemon's view plus the samples kept here and when it was read. */
export interface Row extends DashboardComponent {
  /** Local clock when this row was read (uptime goes on from there). */
  readAt: number;
}

export const components = {
  rows: [] as Row[],
  /** False until the first answer. */
  loaded: false,
  error: null as string | null,
  samplesKept: 120,
};

const samples = new Map<string, ResourcePoint[]>();
let lastSample = 0;
let inFlight = false;
let again = false;
let pollTimer = 0;
let soonTimer = 0;

/** Merges one answer of the table in: its rows, with their new samples added to those kept. */
function apply(body: DashboardComponents): void {
  components.error = null;
  components.samplesKept = body.samples_kept;
  const now = Date.now();
  components.rows = body.components.map((c) => {
    const kept = samples.get(c.name) ?? [];
    for (const p of c.samples) {
      if (kept.length === 0 || p[0] > kept[kept.length - 1]![0]) kept.push(p);
      if (p[0] > lastSample) lastSample = p[0];
    }
    if (kept.length > components.samplesKept) kept.splice(0, kept.length - components.samplesKept);
    samples.set(c.name, kept);
    return { ...c, samples: kept, readAt: now };
  });
  if (!components.loaded) performance.mark('corral:data');
  components.loaded = true;
  touch('components');
}

/**
 * The table the daemon put into the page (src/server/static.ts: a JSON data
 * block, without the samples), so the first render has the rows and asks
 * nothing first. False when the page has none (a client that needs the
 * token to read it, or a daemon whose supervisor was not running yet).
 */
export function takeFirstView(): boolean {
  const el = document.getElementById('corral-first');
  if (!el) return false;
  el.remove();
  try {
    apply(JSON.parse(el.textContent ?? '') as DashboardComponents);
    return true;
  } catch {
    return false;
  }
}

/** Reads the table (with the samples taken since the last read) and merges it in. */
export async function refreshComponents(): Promise<void> {
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    const path = `/dashboard/components${lastSample ? `?since=${lastSample}` : ''}`;
    // The first read is the one index.html preloaded; that one carries no token (auth: required wants it): then ask again with it.
    const preloaded = !components.loaded && lastSample === 0 && !components.error;
    let r = await api<DashboardComponents>(path, { preloaded });
    if (preloaded && r.status === 401) r = await api<DashboardComponents>(path);
    if (!r.body) {
      components.error = r.error;
      touch('components');
      return;
    }
    apply(r.body);
  } finally {
    inFlight = false;
    if (again) {
      again = false;
      void refreshComponents();
    }
  }
}

/** A component changed (an event said so): read the table again shortly, once for a burst of changes. */
export function componentsChanged(): void {
  if (soonTimer) return;
  soonTimer = window.setTimeout(() => {
    soonTimer = 0;
    void refreshComponents();
  }, 100);
}

/** Reads the table now, then every `ms` (the resource samples and uptimes); resolves after the first read. */
export function pollComponents(ms: number): Promise<void> {
  window.clearInterval(pollTimer);
  pollTimer = window.setInterval(() => void refreshComponents(), ms);
  return refreshComponents();
}
