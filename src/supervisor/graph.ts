import type { Logger } from '../runners/types.js';
import type { Component } from './component.js';
import { abortable } from '../util/abort.js';
import { judgeDependencies, judgeDependency, type DependencyVerdict } from './dependencies.js';

/** The components' `depends_on` graph, as the supervisor asks it (src/supervisor/supervisor.ts). */
export interface DependencyGraph {
  /** From now on nothing starts: every dependency is blocked (`corral down`; a backoff that expires during the stop waits). */
  shutDown(): void;
  /** Where a component's dependencies stand now. */
  judge(c: Component): DependencyVerdict;
  /** A waiting component after a change of one of its dependencies: launch it, or say why it still waits. */
  rejudge(c: Component): void;
  /** Starts what `c` needs first, as `corral start B` does (see below). */
  startDependencies(c: Component): void;
  /** How long a start command waits for its component: its and its dependencies' start_timeouts, one after the other. */
  startBudget(c: Component): number;
  /** Other components that depend on `name`. */
  dependantsOf(name: string): string[];
  /** Stops everything, dependants first, under an overall deadline (nothing starts from then on); `blocked` names what had not stopped by then. */
  stopAll(deadlineMs: number): Promise<{ blocked: string[] }>;
  /** Stops these (a set that holds its own dependants), each once its dependants in the set have stopped. */
  stopInOrder(names: readonly string[], cause: string): Promise<void>;
  /** Resolves once the component has started (running, failed, stopped...) or waits on a dependency that cannot be met without someone acting, or after `timeoutMs`. */
  untilSettled(c: Component, timeoutMs?: number): Promise<void>;
}

export function createDependencyGraph(components: ReadonlyMap<string, Component>, logger?: Logger): DependencyGraph {
  let shuttingDown = false;

  /** Whether a waiting component cannot start until someone acts (through its waiting dependencies too). */
  const isBlocked = (name: string, path: ReadonlySet<string>): boolean => {
    const c = components.get(name);
    if (!c || !c.waiting || path.has(name)) return false; // a cycle: a validated config has none
    return judge(c, path).kind === 'blocked';
  };

  /** Where a component's dependencies stand now. */
  const judge = (c: Component, path: ReadonlySet<string> = new Set()): DependencyVerdict => {
    if (shuttingDown) return { kind: 'blocked', reason: 'corral is stopping' };
    const inner = new Set(path).add(c.name);
    return judgeDependencies(c, (n) => components.get(n), (n) => isBlocked(n, inner));
  };

  /** A waiting component after a change of one of its dependencies: launch it, or say why it still waits. */
  const rejudge = (c: Component) => {
    const verdict = judge(c);
    if (verdict.kind === 'met') void c.resume().catch((err: unknown) => logger?.error(`${c.name}: ${(err as Error).message}`));
    else c.setPending(verdict.reason);
  };

  /** Its dependencies, transitively, each once. */
  const closure = (c: Component, seen = new Set<string>()): Component[] => {
    const out: Component[] = [];
    for (const dep of Object.keys(c.config.depends_on)) {
      const d = components.get(dep);
      if (!d || seen.has(dep)) continue;
      seen.add(dep);
      out.push(...closure(d, seen), d);
    }
    return out;
  };

  /**
   * `corral start B` starts what B needs first (like `docker compose up B`):
   * every dependency, transitively and deepest first, whose condition does not
   * hold and that is not on its way by itself (it is stopped, exited or failed).
   */
  const startDependencies = (c: Component, seen = new Set<string>()) => {
    for (const [dep, condition] of Object.entries(c.config.depends_on)) {
      const d = components.get(dep);
      if (!d || d.state === 'disabled') continue;
      if (!seen.has(dep)) {
        seen.add(dep);
        startDependencies(d, seen);
      }
      if (d.startPending || !['stopped', 'exited', 'failed', 'inactive'].includes(d.state)) continue;
      if (judgeDependency(dep, d, condition, () => false).kind === 'met') continue;
      void d.start().catch((err: unknown) => logger?.error(`${dep}: ${(err as Error).message}`));
    }
  };

  /** How long a start command waits for its component: its and its dependencies' start_timeouts, one after the other. */
  const startBudget = (c: Component) => [c, ...closure(c)].reduce((sum, x) => sum + x.config.start_timeout, 0);

  /** Other components that depend on `name`. */
  const dependantsOf = (name: string) => [...components.values()].filter((c) => name in c.config.depends_on).map((c) => c.name);

  /** Done with its start: running (or failed, stopped...), or waiting on a dependency that cannot be met without someone acting. */
  const settled = (c: Component) => c.state === 'disabled' || ((!c.waiting || judge(c).kind === 'blocked') && c.state !== 'starting');

  /** Resolves once the component has settled (see `settled`), or after `timeoutMs`. */
  const untilSettled = (c: Component, timeoutMs?: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (settled(c)) return resolve();
      const deadline = timeoutMs !== undefined ? AbortSignal.timeout(timeoutMs) : null;
      const finish = () => {
        off();
        deadline?.removeEventListener('abort', finish);
        resolve();
      };
      const off = c.onChange(() => {
        if (settled(c)) finish();
      });
      deadline?.addEventListener('abort', finish, { once: true });
    });

  /** Each component stops once every dependant in `names` has: reverse dependency order, as parallel as the graph allows. */
  const stopInOrder = (names: readonly string[], cause: string, done = new Set<string>()): Promise<void> => {
    const wanted = new Set(names);
    const stops = new Map<string, Promise<void>>();
    const stopOne = (name: string, path: Set<string>): Promise<void> => {
      const known = stops.get(name);
      if (known) return known;
      if (path.has(name)) return Promise.resolve(); // a cycle: a validated config has none
      const inner = new Set(path).add(name);
      const p = Promise.all(dependantsOf(name).filter((d) => wanted.has(d)).map((d) => stopOne(d, inner)))
        .then(() => components.get(name)?.stop(cause))
        .catch((err: unknown) => logger?.error(`stopping ${name}: ${(err as Error).message}`))
        .then(() => void done.add(name));
      stops.set(name, p);
      return p;
    };
    return Promise.all([...wanted].map((n) => stopOne(n, new Set()))).then(() => undefined);
  };

  const stopAll = async (deadlineMs: number): Promise<{ blocked: string[] }> => {
    shuttingDown = true;
    const done = new Set<string>();
    const all = stopInOrder([...components.keys()], 'corral down', done);
    const deadline = AbortSignal.timeout(deadlineMs);
    const allStopped = await abortable(all, deadline).then(
      () => true,
      () => false,
    );
    if (allStopped) return { blocked: [] };
    // Out of time: signal everything still waiting for its dependants, and name what has not stopped.
    const left = [...components.keys()].filter((n) => !done.has(n));
    for (const name of left) void components.get(name)!.stop().catch(() => {});
    const stopping = left.filter((n) => components.get(n)!.state === 'stopping');
    return { blocked: stopping.length > 0 ? stopping : left };
  };

  return {
    stopAll,
    stopInOrder: (names, cause) => stopInOrder(names, cause),
    untilSettled,
    shutDown: () => void (shuttingDown = true),
    judge: (c) => judge(c),
    rejudge,
    startDependencies: (c) => startDependencies(c),
    startBudget,
    dependantsOf,
  };
}
