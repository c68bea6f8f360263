import type { ComponentConfig } from '../config/schema.js';
import type { ComponentState } from './types.js';
import { LIVE } from './states.js';

/** What a dependant waits for (`depends_on`, docs/config.md). */
export type DependencyCondition = 'started' | 'healthy' | 'completed';

/** Where one dependency stands for its dependant. */
export type DependencyVerdict = { kind: 'met' } | { kind: 'wait'; reason: string } | { kind: 'blocked'; reason: string };

export const MET: DependencyVerdict = { kind: 'met' };

/** What a dependency judgement reads of a component (src/supervisor/component.ts has it all). */
export interface DependencyView {
  readonly state: ComponentState;
  readonly reason: string | null;
  readonly config: Pick<ComponentConfig, 'depends_on'>;
  readonly startPending: boolean;
  readonly completedCleanly: boolean;
  readonly health: 'healthy' | 'unhealthy' | 'unknown' | null;
  hasHealthCheck(): boolean;
}

/**
 * Judges one dependency as it stands now (not as it once was: a dependency
 * that was stopped after it started no longer counts as started).
 *
 * - `started`: its generation is alive, or it ran and ended by itself (`exited`).
 * - `healthy`: its probe passes now; without any health check (a plugin with no
 *   health(): the config check refuses a built-in runner without a probe), as `started`.
 * - `completed`: a generation ended with code 0 since it was last started.
 *
 * `blocked` means it cannot be met without someone acting (the dependency
 * failed, is disabled, was stopped, exited without meeting the condition, or
 * is itself blocked) and no start of it is under way; the dependant then stays
 * `pending` with this reason and starts if the dependency recovers later.
 * `wait` means it is on its way (starting, in backoff, not healthy yet).
 */
export function judgeDependency(
  name: string,
  dep: DependencyView | undefined,
  condition: DependencyCondition,
  isBlocked: (name: string) => boolean,
): DependencyVerdict {
  if (!dep) return { kind: 'blocked', reason: `dependency "${name}" does not exist` };
  const why = dep.reason ? `: ${dep.reason}` : '';
  if (dep.state === 'disabled') return { kind: 'blocked', reason: `dependency "${name}" is disabled` };
  if (dep.state === 'failed' && !dep.startPending) return { kind: 'blocked', reason: `dependency "${name}" failed${why}` };
  if (dep.state === 'pending' && isBlocked(name)) return { kind: 'blocked', reason: `dependency "${name}" is blocked (${dep.reason ?? 'waiting'})` };
  const live = LIVE.has(dep.state);
  const hasCheck = dep.hasHealthCheck();
  switch (condition) {
    case 'started':
      if (live || dep.state === 'exited') return MET;
      break;
    case 'healthy':
      if (live && dep.health === 'healthy') return MET;
      // Without any health check, "healthy" can only mean "started".
      if (!hasCheck && (live || dep.state === 'exited')) return MET;
      if (dep.state === 'exited' && !dep.startPending) return { kind: 'blocked', reason: `dependency "${name}" exited before it was healthy${why}` };
      break;
    case 'completed':
      if (dep.completedCleanly) return MET;
      if (dep.state === 'exited' && !dep.startPending) return { kind: 'blocked', reason: `dependency "${name}" did not complete${why}` };
      break;
  }
  if ((dep.state === 'stopped' || dep.state === 'inactive') && !dep.startPending) return { kind: 'blocked', reason: `dependency "${name}" is ${dep.state}` };
  return { kind: 'wait', reason: `waiting for "${name}" (${condition})` };
}

/** Judges all of a component's dependencies: blocked wins over wait, wait over met. */
export function judgeDependencies(
  component: DependencyView,
  lookup: (name: string) => DependencyView | undefined,
  isBlocked: (name: string) => boolean,
): DependencyVerdict {
  let waiting: DependencyVerdict | null = null;
  for (const [name, condition] of Object.entries(component.config.depends_on)) {
    const verdict = judgeDependency(name, lookup(name), condition, isBlocked);
    if (verdict.kind === 'blocked') return verdict;
    if (verdict.kind === 'wait' && !waiting) waiting = verdict;
  }
  return waiting ?? MET;
}
