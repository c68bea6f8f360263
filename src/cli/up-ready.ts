import type { ComponentInfo } from '../supervisor/types.js';
import { apiRequest, DaemonNotRunningError, type DaemonTarget } from './daemon-client.js';

/**
 * Exits of each component counted before this `up` made its request
 * (`ComponentInfo.exits`): only a generation that ends by itself after it
 * counts against readiness, so a crash an hour ago, before a `corral restart`,
 * does not. Absent names count from 0 (a daemon this `up` started).
 */
export type ExitBaseline = ReadonlyMap<string, number>;

const NONE: ExitBaseline = new Map();

/**
 * Whether a component counts as ready for `up -d`: running (healthy when it
 * has a check; without one, up for its `ready_after`) and not ended by itself
 * since this `up` asked for it. A one-shot that completed (`exited`, no
 * reason) is ready too: that is its ready state. One that `up` left out
 * (`disabled`, `inactive`) is not waited for.
 */
export function isReady(c: ComponentInfo, before: ExitBaseline = NONE): boolean {
  if (c.state === 'disabled' || c.state === 'inactive') return true;
  if (c.state === 'exited') return c.reason === null;
  if (hasExited(c, before)) return false; // a crash loop caught between two crashes is not ready
  if (c.state === 'healthy') return true;
  // Without a probe, up for `ready_after`: a component that crashes a moment after its start is caught.
  if (c.state === 'running') return c.health === null && (c.uptime_ms ?? 0) >= (c.ready_after_ms ?? 0);
  return false;
}

/** Not ready, and will not become ready by waiting: failed, or ended by itself (badly, for a one-shot) since this `up` asked. */
export function isLost(c: ComponentInfo, before: ExitBaseline = NONE): boolean {
  if (c.state === 'failed') return true;
  if (c.state === 'exited') return c.reason !== null && hasExited(c, before);
  return hasExited(c, before);
}

/** `NAME (state: reason, last exit: exit code 3)` for the not-ready list. */
export function describeNotReady(c: ComponentInfo, before: ExitBaseline = NONE): string {
  let text = c.state + (c.reason ? `: ${c.reason}` : '');
  if (hasExited(c, before) && c.last_exit && !text.includes(c.last_exit)) text += `, last exit: ${c.last_exit}`;
  return `${c.name} (${text})`;
}

function hasExited(c: ComponentInfo, before: ExitBaseline): boolean {
  return c.exits > (before.get(c.name) ?? 0);
}

/** The exit counts of these components now: the baseline of an `up` about to ask a running daemon. */
export function exitBaseline(components: readonly ComponentInfo[]): ExitBaseline {
  return new Map(components.map((c) => [c.name, c.exits]));
}

/**
 * Lost, or `pending` on what is lost (directly or through another pending
 * one): nothing left to wait for. A component pending on one that is still
 * coming up (a probe not yet passed) is waited for.
 */
function hopeless(all: readonly ComponentInfo[], before: ExitBaseline): Set<string> {
  const out = new Set(all.filter((c) => isLost(c, before)).map((c) => c.name));
  for (let grew = true; grew; ) {
    grew = false;
    for (const c of all) {
      if (out.has(c.name) || c.state !== 'pending') continue;
      if (Object.keys(c.depends_on ?? {}).some((d) => out.has(d))) {
        out.add(c.name);
        grew = true;
      }
    }
  }
  return out;
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
export async function waitReady(target: DaemonTarget, deadline: number, only?: ReadonlySet<string>, before: ExitBaseline = NONE): Promise<ReadyOutcome> {
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
    const ready = (c: ComponentInfo) => isReady(c, before) && !(only && (c.state === 'inactive' || c.state === 'stopped'));
    const notReady = waited.filter((c) => !ready(c));
    if (notReady.length === 0 && answered) return { components: last, notReady };
    // Give up once everything not ready is lost or waits for what is lost; until then, wait (up to the deadline).
    const gone = hopeless(last, before);
    if (Date.now() > deadline || (notReady.length > 0 && notReady.every((c) => gone.has(c.name)))) return { components: last, notReady };
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
