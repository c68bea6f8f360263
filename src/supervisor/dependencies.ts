import type { Component } from './component.js';

/** What a dependant waits for (DESIGN §8, `depends_on`). */
export type DependencyCondition = 'started' | 'healthy' | 'completed';

/** Where one dependency stands for its dependant. */
export type DependencyVerdict = { kind: 'met' } | { kind: 'wait'; reason: string } | { kind: 'blocked'; reason: string };

/**
 * Judges one dependency. `blocked` means it cannot be met without someone
 * acting (the dependency failed, is disabled, exited badly, or is itself
 * blocked); the dependant then stays `pending` with this reason and starts if
 * the dependency recovers later.
 */
export function judgeDependency(
  name: string,
  dep: Component | undefined,
  condition: DependencyCondition,
  isBlocked: (name: string) => boolean,
): DependencyVerdict {
  if (!dep) return { kind: 'blocked', reason: `dependency "${name}" does not exist` };
  const why = dep.reason ? `: ${dep.reason}` : '';
  if (dep.state === 'disabled') return { kind: 'blocked', reason: `dependency "${name}" is disabled` };
  if (dep.state === 'failed') return { kind: 'blocked', reason: `dependency "${name}" failed${why}` };
  if (dep.state === 'pending' && isBlocked(name)) return { kind: 'blocked', reason: `dependency "${name}" is blocked (${dep.reason ?? 'waiting'})` };
  switch (condition) {
    case 'started':
      if (dep.reachedRunning) return { kind: 'met' };
      break;
    case 'healthy':
      if (dep.health === 'healthy') return { kind: 'met' };
      // Without any health check, "healthy" can only mean "running".
      if (dep.reachedRunning && !dep.hasHealthCheck()) return { kind: 'met' };
      if (dep.state === 'exited') return { kind: 'blocked', reason: `dependency "${name}" exited before it was healthy${why}` };
      break;
    case 'completed':
      if (dep.completedCleanly) return { kind: 'met' };
      if (dep.state === 'exited') return { kind: 'blocked', reason: `dependency "${name}" did not complete${why}` };
      break;
  }
  return { kind: 'wait', reason: `waiting for "${name}" (${condition})` };
}

/** Judges all of a component's dependencies: blocked wins over wait, wait over met. */
export function judgeDependencies(
  component: Component,
  lookup: (name: string) => Component | undefined,
  isBlocked: (name: string) => boolean,
): DependencyVerdict {
  let waiting: DependencyVerdict | null = null;
  for (const [name, condition] of Object.entries(component.config.depends_on)) {
    const verdict = judgeDependency(name, lookup(name), condition, isBlocked);
    if (verdict.kind === 'blocked') return verdict;
    if (verdict.kind === 'wait' && !waiting) waiting = verdict;
  }
  return waiting ?? { kind: 'met' };
}
