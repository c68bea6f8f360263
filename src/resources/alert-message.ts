import type { AlertLevel, ResourcePayload } from '../schema/payloads.js';

/** Thresholds of one component: memory in bytes, cpu in percent of one core, `for` in ms. */
export interface ResourceThresholds {
  memory?: { warning?: number; critical?: number } | undefined;
  cpu?: { warning?: number; critical?: number; for?: number } | undefined;
}

/** The metric that set an alert's level. */
export type MetricName = 'memory' | 'cpu';

const MIB = 1024 * 1024;

function mb(bytes: number): string {
  return `${Math.round((bytes / MIB) * 10) / 10} MB`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Says which metric crossed which threshold, e.g. "memory 612.3 MB is over
 * the critical threshold 500 MB, cpu 1%" (no parentheses: the message ends
 * inside a restart cause and a CMP002's `(last: …)`), or, on the way back, "back to normal
 * (was critical): memory 80 MB, cpu 1.2%".
 */
export function describeChange(
  level: AlertLevel,
  previous: AlertLevel,
  metric: MetricName | null,
  metrics: ResourcePayload['metrics'],
  thresholds: ResourceThresholds,
): string {
  const now = `memory ${metrics.memory_mb} MB, cpu ${metrics.cpu_percent}%`;
  if (level === 'info' || metric === null) return `back to normal (was ${previous}): ${now}`;
  const key = level === 'critical' ? 'critical' : 'warning';
  if (metric === 'memory') {
    const limit = thresholds.memory?.[key];
    return `memory ${metrics.memory_mb} MB is over the ${key} threshold ${limit === undefined ? '?' : mb(limit)}, cpu ${metrics.cpu_percent}%`;
  }
  const limit = thresholds.cpu?.[key];
  const span = thresholds.cpu?.for ? ` for ${seconds(thresholds.cpu.for)}` : '';
  return `cpu ${metrics.cpu_percent}% has been over the ${key} threshold ${limit ?? '?'}%${span}, memory ${metrics.memory_mb} MB`;
}
