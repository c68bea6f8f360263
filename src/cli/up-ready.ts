import type { ComponentInfo } from '../supervisor/types.js';
import { apiRequest, DaemonNotRunningError, type DaemonTarget } from './daemon-client.js';

/**
 * Whether a component counts as ready for `up -d`: running (healthy when it
 * has a check; without one, up for its `ready_after`) and never ended by
 * itself since the daemon started, which
 * `up -d` has just done. A one-shot that completed (`exited`, no reason) is
 * ready too: that is its ready state. One that `up` left out (`disabled`,
 * `inactive`) is not waited for.
 */
export function isReady(c: ComponentInfo): boolean {
  if (c.state === 'disabled' || c.state === 'inactive') return true;
  if (c.state === 'exited') return c.reason === null;
  if (hasExited(c)) return false; // a crash loop caught between two crashes is not ready
  if (c.state === 'healthy') return true;
  // Without a probe, up for `ready_after`: a component that crashes a moment after its start is caught.
  if (c.state === 'running') return c.health === null && (c.uptime_ms ?? 0) >= (c.ready_after_ms ?? 0);
  return false;
}

/** Not ready, and will not become ready by waiting: failed, ended badly, or ended by itself during the wait. */
export function isLost(c: ComponentInfo): boolean {
  if (c.state === 'failed') return true;
  if (c.state === 'exited') return c.reason !== null;
  return hasExited(c);
}

/** `NAME (state: reason, last exit: exit code 3)` for the not-ready list. */
export function describeNotReady(c: ComponentInfo): string {
  let text = c.state + (c.reason ? `: ${c.reason}` : '');
  if (hasExited(c) && !text.includes(c.last_exit!)) text += `, last exit: ${c.last_exit}`;
  return `${c.name} (${text})`;
}

function hasExited(c: ComponentInfo): boolean {
  return typeof c.last_exit === 'string';
}

/** What `waitReady` saw last: every component, and those of the wait that are not ready (empty: all ready). */
export interface ReadyOutcome {
  components: ComponentInfo[];
  notReady: ComponentInfo[];
}

/**
 * Polls the daemon until every component (or every one in `only`: what this
 * `up` started) is ready, or one is lost and the rest is lost or waiting for
 * it, or the deadline passes.
 */
export async function waitReady(target: DaemonTarget, deadline: number, only?: ReadonlySet<string>): Promise<ReadyOutcome> {
  let last: ComponentInfo[] = [];
  let answered = false;
  for (;;) {
    try {
      const res = await apiRequest<{ components: ComponentInfo[] }>(target, 'GET', '/api/components');
      if (res.status === 200) {
        last = res.body.components ?? [];
        answered = true;
      }
    } catch (err) {
      // A reused keep-alive socket that the daemon closed meanwhile (its event loop busy
      // spawning a hundred children) resets: ask again, like when nothing answers yet.
      const transient = ['ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes((err as NodeJS.ErrnoException).code ?? '');
      if (!(err instanceof DaemonNotRunningError) && !transient) throw err;
    }
    const waited = only ? last.filter((c) => only.has(c.name)) : last;
    // What this `up` started is not ready while it has not left `inactive`/`stopped` yet.
    const ready = (c: ComponentInfo) => isReady(c) && !(only && (c.state === 'inactive' || c.state === 'stopped'));
    const lost = waited.filter(isLost);
    const notReady = waited.filter((c) => !ready(c));
    if (notReady.length === 0 && answered) return { components: last, notReady };
    // Give up once something is lost and the rest is either lost or waiting (for it, likely).
    if (Date.now() > deadline || (lost.length > 0 && notReady.every((c) => isLost(c) || c.state === 'pending'))) return { components: last, notReady };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The line `up -d` ends with when it exits 1 and the daemon keeps running: where it is, and what to do. */
export function stillRunningHint(pid: number | null | undefined, baseUrl: string, notReady: ComponentInfo[]): string {
  const first = notReady[0]?.name;
  return (
    `corral: the daemon is still running (pid ${pid ?? '?'}, ${baseUrl}); ` +
    `\`corral ps\` to look${first ? `, \`corral logs ${first}\`` : ''}, \`corral down\` to stop it\n`
  );
}
