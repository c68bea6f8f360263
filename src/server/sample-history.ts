import type { ResourcePoint } from '../schema/dashboard.js';

/** The recent resource samples of every component, for the dashboard's sparklines. */
export interface SampleHistory {
  /** Records one sample of a component (called by the resource monitor after each pass). */
  record(name: string, sample: { cpu_percent: number; memory_mb: number }, at?: number): void;
  /** The kept samples of a component taken after `since` (all of them without it), oldest first. */
  since(name: string, since?: number): ResourcePoint[];
  /** Drops a component removed from the config. */
  forget(name: string): void;
  /** How many samples are kept per component. */
  readonly capacity: number;
}

/**
 * A fixed ring of samples per component: `capacity` points (default 120: two
 * minutes at the 1 s interval, four at the default 2 s), so memory stays
 * bounded whatever the run's length.
 */
export function createSampleHistory(capacity = 120): SampleHistory {
  const rings = new Map<string, { points: ResourcePoint[]; next: number }>();
  return {
    capacity,
    record(name, sample, at = Date.now()) {
      let ring = rings.get(name);
      if (!ring) rings.set(name, (ring = { points: [], next: 0 }));
      const point: ResourcePoint = [at, round(sample.cpu_percent), round(sample.memory_mb)];
      if (ring.points.length < capacity) ring.points.push(point);
      else ring.points[ring.next] = point;
      ring.next = (ring.next + 1) % capacity;
    },
    since(name, since) {
      const ring = rings.get(name);
      if (!ring) return [];
      const ordered = ring.points.length < capacity ? ring.points : [...ring.points.slice(ring.next), ...ring.points.slice(0, ring.next)];
      return since === undefined ? ordered.slice() : ordered.filter((p) => p[0] > since);
    },
    forget(name) {
      rings.delete(name);
    },
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
