import { execCheck, type ExecProbeOptions } from './exec-probe.js';
import { httpCheck } from './http-probe.js';
import { tcpCheck } from './tcp-probe.js';
import type { HealthConfig, Probe, ProbeCheck } from './types.js';

/**
 * Makes the probe a component's `health` entry describes. Each check is
 * bounded by `health.timeout` (and by the caller's signal); running out of
 * time gives `timedOut: true` rather than an error.
 */
export function createProbe(health: HealthConfig, opts: ExecProbeOptions = {}): Probe {
  let kind: Probe['kind'];
  let target: string;
  let run: ProbeCheck;
  if (health.http !== undefined) {
    kind = 'http';
    target = health.http;
    run = httpCheck(health.http);
  } else if (health.tcp !== undefined) {
    kind = 'tcp';
    target = health.tcp;
    run = tcpCheck(health.tcp);
  } else if (health.exec !== undefined) {
    kind = 'exec';
    target = Array.isArray(health.exec) ? health.exec.join(' ') : health.exec;
    run = execCheck(health.exec, opts);
  } else {
    throw new Error('health needs exactly one probe: http, tcp or exec');
  }
  const timeout = health.timeout;
  return {
    kind,
    target,
    async check(outer) {
      const timer = AbortSignal.timeout(timeout);
      const signal = AbortSignal.any([outer, timer]);
      // Our own timeout, or the caller's (a TimeoutError reason), both count as timing out.
      const timedOut = () =>
        timer.aborted
          ? { ok: false, detail: `timed out after ${timeout}ms`, timedOut: true }
          : outer.aborted && isTimeout(outer.reason)
            ? { ok: false, detail: 'timed out', timedOut: true }
            : null;
      try {
        const result = await run(signal);
        return timedOut() ?? { ...result, timedOut: false };
      } catch (err) {
        return timedOut() ?? { ok: false, detail: describeError(err), timedOut: false };
      }
    },
  };
}

function isTimeout(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}
