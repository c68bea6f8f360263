function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/**
 * `web crashed (exit code 1) · restarts 2 · next restart in 1.5s · cause: …`:
 * what the monitor shows of a stop, on one line.
 */
export function summarizeStopped(p: Record<string, unknown>): string {
  const how = typeof p.signal === 'string' && p.signal ? `signal ${p.signal}` : typeof p.exit_code === 'number' ? `exit code ${p.exit_code}` : '';
  const parts = [`${[text(p.component), text(p.reason)].filter(Boolean).join(' ')}${how ? ` (${how})` : ''}`];
  if (typeof p.restarts === 'number' && p.restarts > 0) parts.push(`restarts ${p.restarts}`);
  if (typeof p.next_restart_in_ms === 'number') parts.push(`next restart in ${(p.next_restart_in_ms / 1000).toFixed(1)}s`);
  if (text(p.error)) parts.push(text(p.error)!);
  if (text(p.cause)) parts.push(`cause: ${text(p.cause)}`);
  return parts.join(' · ');
}
