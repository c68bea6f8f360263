import type { z } from 'zod';
import type { HealthSchema } from '../config/schema.js';

/** A component's `health` entry after defaults (durations in ms). */
export type HealthConfig = z.infer<typeof HealthSchema>;

/** The outcome of one probe. */
export interface ProbeResult {
  ok: boolean;
  /** What was seen: `HTTP 200`, `connect ECONNREFUSED 127.0.0.1:80`, `exit 1: <last output line>`, `timed out after 2000ms`. */
  detail: string;
  /** True when the probe did not finish within its timeout (CMP001). */
  timedOut: boolean;
}

/** One kind of probe, ready to run again and again. */
export interface Probe {
  /** `http`, `tcp` or `exec`. */
  readonly kind: 'http' | 'tcp' | 'exec';
  /** What it checks (url, host:port, command), for `component.health`'s `probe`. */
  readonly target: string;
  /** Runs the probe once. Never rejects; settles soon after `signal` aborts, with nothing left running. */
  check(signal: AbortSignal): Promise<ProbeResult>;
}

/** How a probe kind does one check: resolves `{ok, detail}`, or rejects; must settle promptly on abort. */
export type ProbeCheck = (signal: AbortSignal) => Promise<{ ok: boolean; detail: string }>;
