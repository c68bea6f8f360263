import type { Selection } from '../supervisor/selection.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { useColor } from './args.js';
import { apiRequest, type DaemonTarget } from './daemon-client.js';
import { plural, renderComponents } from './format.js';
import { describeNotReady, exitBaseline, stillRunningHint, waitReady } from './up-ready.js';

/**
 * `corral up NAME... [--profile P]` when this config's daemon already runs:
 * the daemon takes the new selection and starts it (with what it depends
 * on); this waits for what it starts only, as `up -d` does, counting only
 * the exits after its request (a crash before a `corral restart` is history),
 * and prints the rows of that selection alone.
 */
export async function upOnRunning(target: DaemonTarget, selection: Selection, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const now = await apiRequest<{ components?: ComponentInfo[] }>(target, 'GET', '/api/components', undefined, timeoutMs);
  const before = exitBaseline(now.status === 200 ? (now.body?.components ?? []) : []);
  const res = await apiRequest<{ starting?: string[]; error?: string }>(target, 'POST', '/api/up', selection, timeoutMs);
  if (res.status === 400) {
    process.stderr.write(`corral up: ${res.body?.error ?? JSON.stringify(res.body)}\n`);
    return 2;
  }
  if (res.status !== 200) {
    process.stderr.write(`corral up: the daemon answered ${res.status}: ${res.body?.error ?? JSON.stringify(res.body)}\n`);
    return 1;
  }
  const starting = res.body?.starting ?? [];
  const chosen = new Set(starting);
  const { components, notReady } = await waitReady(target, deadline, chosen, before);
  process.stdout.write(renderComponents(components.filter((c) => chosen.has(c.name)), useColor()));
  const profiles = selection.profiles.length > 0 ? ` (profiles: ${selection.profiles.join(', ')})` : '';
  if (notReady.length === 0) {
    process.stdout.write(`corral is up (pid ${target.info?.pid}, port ${target.info?.port}): ${plural(starting.length, 'component')} ready${profiles}: ${starting.join(', ') || 'none'}\n`);
    return 0;
  }
  process.stderr.write(`corral up: not ready: ${notReady.map((c) => describeNotReady(c, before)).join(', ')}\n`);
  process.stderr.write(stillRunningHint(target.info?.pid, target.baseUrl, notReady));
  return 1;
}
