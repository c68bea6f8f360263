import type { Bus } from '../bus/types.js';
import type { ComponentConfig, CorralConfig } from '../config/schema.js';
import type { ComponentLifecycle, Logger } from '../runners/types.js';
import type { ComponentStatus } from '../schema/messages.js';
import { UnknownComponentError, type ComponentInfo, type ComponentState, type Controller } from './types.js';
import { Component, ComponentDisabledError } from './component.js';
import { createComponentEvents, type ComponentEvents } from './events.js';
import { startHealthWatch as realHealthWatch, type StartHealthWatch } from './health-watch.js';
import { judgeDependencies, judgeDependency, type DependencyVerdict } from './dependencies.js';
import { abortable } from '../util/abort.js';

/** A live process group, for the state-directory record that lets a later daemon end what this one left. */
export interface GroupInfo {
  name: string;
  pgid: number;
  started_at: number;
}

/** What a hot reload changes, per component. */
export interface SupervisorPlan {
  added: string[];
  removed: string[];
  restarted: string[];
  updated: string[];
}

export interface SupervisorOptions {
  bus: Bus;
  config: CorralConfig;
  resolveLifecycle(name: string, component: ComponentConfig): Promise<ComponentLifecycle>;
  onGroupsChanged?(groups: GroupInfo[]): void;
  logger?: Logger;
  /** Replaces the real probe loop (tests of the state machine). */
  startHealthWatch?: StartHealthWatch;
  /** Directory of the config file: relative `cwd`s of exec probes resolve against it. */
  configDir?: string;
  /** Randomness for the backoff jitter (tests). */
  random?: () => number;
}

/** The supervisor: every component's state machine, their dependencies, and the `Controller` operations. */
export interface Supervisor extends Pick<Controller, 'list' | 'statuses' | 'start' | 'stop' | 'restart'> {
  /** Starts every enabled component, each once its dependencies are met. Resolves when each has started or is blocked. */
  startAll(): Promise<void>;
  /** A restart corral decides on its own (on_critical): counts toward max_restarts like a crash restart. */
  autoRestart(name: string, cause: string): Promise<void>;
  /** Stops everything, dependants first, under an overall deadline; `blocked` names what had not stopped by then. */
  stopAll(deadlineMs: number): Promise<{ blocked: string[] }>;
  /** Applies a validated reload plan. */
  applyPlan(config: CorralConfig, plan: SupervisorPlan): Promise<void>;
  /** Root pids of a component's live generation (empty when not running or unknown). */
  pidsOf(name: string): number[];
  /** Records the last resource sample, shown by `list()`. */
  setSample(name: string, sample: { cpu_percent: number; memory_mb: number }): void;
  /** The component's state machine (tests, plugins that need more than `list()`). */
  component(name: string): Component | undefined;
}

const HEARTBEAT: Record<ComponentState, ComponentStatus> = {
  healthy: 'healthy',
  running: 'healthy',
  unhealthy: 'unhealthy',
  starting: 'starting',
  backoff: 'starting',
  pending: 'starting',
  stopping: 'stopped',
  stopped: 'stopped',
  exited: 'stopped',
  disabled: 'stopped',
  failed: 'failed',
};

/** Creates the supervisor for a validated config. Nothing starts until `startAll` or `start`. */
export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const events: ComponentEvents = createComponentEvents(opts.bus, (m) => opts.logger?.error(m));
  const components = new Map<string, Component>();
  let lastGroups = '';

  const get = (name: string): Component => {
    const c = components.get(name);
    if (!c) throw new UnknownComponentError(name);
    return c;
  };

  const reportGroups = () => {
    if (!opts.onGroupsChanged) return;
    const groups: GroupInfo[] = [];
    for (const c of components.values()) {
      if (c.pid !== null) groups.push({ name: c.name, pgid: c.pid, started_at: c.startedAtMs ?? Date.now() });
    }
    const key = JSON.stringify(groups);
    if (key === lastGroups) return;
    lastGroups = key;
    try {
      opts.onGroupsChanged(groups);
    } catch (err) {
      opts.logger?.error(`onGroupsChanged threw: ${(err as Error).message}`);
    }
  };

  /** Set by `stopAll`: from then on nothing starts (a backoff that expires during the stop waits). */
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
    if (verdict.kind === 'met') void c.resume().catch((err: unknown) => opts.logger?.error(`${c.name}: ${(err as Error).message}`));
    else c.setPending(verdict.reason);
  };

  const onComponentChange = (changed: Component) => {
    reportGroups();
    for (const c of components.values()) {
      if (c.waiting && changed.name in c.config.depends_on) rejudge(c);
    }
  };

  const add = (name: string, config: ComponentConfig) => {
    const c = new Component({
      name,
      config,
      resolveLifecycle: opts.resolveLifecycle,
      events,
      startHealthWatch: opts.startHealthWatch ?? realHealthWatch,
      logger: opts.logger,
      random: opts.random,
      configDir: opts.configDir,
      dependencies: (self) => judge(self),
    });
    c.onChange(onComponentChange);
    components.set(name, c);
    return c;
  };
  for (const [name, config] of Object.entries(opts.config.components)) add(name, config);

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

  /**
   * Starts it (a no-op when disabled), logging a failed command; true when the
   * command ran. A reload starts with this alone, not waiting for it to
   * settle: a component left waiting for a dependency that never gets healthy
   * would otherwise hold the reload, and every reload after it, for ever; the
   * reload's answer is the plan, and the components' own events follow.
   */
  const launch = async (c: Component, command: () => Promise<void> = () => c.start()): Promise<boolean> => {
    if (c.state === 'disabled') return false;
    try {
      await command();
      return true;
    } catch (err) {
      opts.logger?.error(`${c.name}: ${(err as Error).message}`);
      return false;
    }
  };

  /** Runs a start-like command, then waits until the component has started or is blocked. */
  const startAndSettle = async (c: Component, command: () => Promise<void>, timeoutMs?: number): Promise<void> => {
    if (await launch(c, command)) await untilSettled(c, timeoutMs);
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
      if (d.startPending || !['stopped', 'exited', 'failed'].includes(d.state)) continue;
      if (judgeDependency(dep, d, condition, () => false).kind === 'met') continue;
      void d.start().catch((err: unknown) => opts.logger?.error(`${dep}: ${(err as Error).message}`));
    }
  };

  /** How long a start command waits for its component: its and its dependencies' start_timeouts, one after the other. */
  const startBudget = (c: Component) => [c, ...closure(c)].reduce((sum, x) => sum + x.config.start_timeout, 0);

  /** Other components that depend on `name`. */
  const dependantsOf = (name: string) => [...components.values()].filter((c) => name in c.config.depends_on).map((c) => c.name);

  const supervisor: Supervisor = {
    async startAll() {
      await Promise.all([...components.values()].map((c) => startAndSettle(c, () => c.start())));
    },

    async stopAll(deadlineMs) {
      shuttingDown = true;
      const stops = new Map<string, Promise<void>>();
      const done = new Set<string>();
      // Each component stops once every dependant has: reverse dependency order, as parallel as the graph allows.
      const stopOne = (name: string, path: Set<string>): Promise<void> => {
        const known = stops.get(name);
        if (known) return known;
        if (path.has(name)) return Promise.resolve(); // a cycle: a validated config has none
        const inner = new Set(path).add(name);
        const p = Promise.all(dependantsOf(name).map((d) => stopOne(d, inner)))
          .then(() => get(name).stop('corral down'))
          .catch((err: unknown) => opts.logger?.error(`stopping ${name}: ${(err as Error).message}`))
          .then(() => void done.add(name));
        stops.set(name, p);
        return p;
      };
      const all = Promise.all([...components.keys()].map((n) => stopOne(n, new Set())));
      const deadline = AbortSignal.timeout(deadlineMs);
      const allStopped = await abortable(all, deadline).then(
        () => true,
        () => false,
      );
      if (allStopped) return { blocked: [] };
      // Out of time: signal everything still waiting for its dependants, and name what has not stopped.
      const left = [...components.keys()].filter((n) => !done.has(n));
      for (const name of left) void get(name).stop().catch(() => {});
      const stopping = left.filter((n) => get(n).state === 'stopping');
      return { blocked: stopping.length > 0 ? stopping : left };
    },

    async start(name) {
      const c = get(name);
      if (c.state === 'disabled') throw new ComponentDisabledError(name);
      if (c.pid === null) startDependencies(c);
      await c.start();
      await untilSettled(c, startBudget(c));
    },

    async stop(name, cause) {
      // Its dependants keep running; if one of them exits, its restart waits for this one to be started again.
      await get(name).stop(cause);
    },

    async autoRestart(name, cause) {
      await get(name).autoRestart(cause);
    },

    async restart(name, cause) {
      const c = get(name);
      await c.restart(cause);
      await untilSettled(c, startBudget(c));
    },

    list() {
      return [...components.values()].map((c) => c.info());
    },

    statuses() {
      const out: Record<string, ComponentStatus> = {};
      for (const c of components.values()) out[c.name] = HEARTBEAT[c.state];
      return out;
    },

    async applyPlan(config, plan) {
      const work: Promise<unknown>[] = [];
      // Forgotten only once its group is gone, so the group record keeps it until then.
      const forget = (name: string, c: Component) =>
        c.dispose().finally(() => {
          if (components.get(name) === c) components.delete(name);
          reportGroups();
        });
      for (const name of plan.removed) {
        const c = components.get(name);
        if (!c) continue;
        const kept = config.components[name];
        if (kept && !kept.enabled) {
          // Still in the file with enabled: false: listed as disabled, as at start, not forgotten.
          c.updateConfig(kept);
          work.push(c.disable());
          continue;
        }
        work.push(forget(name, c));
      }
      for (const name of plan.updated) {
        const c = components.get(name);
        const next = config.components[name];
        if (!c || !next) continue;
        const wasDisabled = c.state === 'disabled';
        c.updateConfig(next);
        if (!next.enabled && !wasDisabled) {
          work.push(c.disable());
        } else if (next.enabled && wasDisabled) {
          work.push(c.reconfigure(next, { start: false }).then(() => launch(c)));
        }
      }
      for (const name of plan.restarted) {
        const c = components.get(name);
        const next = config.components[name];
        if (!c || !next) continue;
        // A failed component whose command was fixed should run again; a stopped one stays stopped.
        const startAfter = c.state === 'disabled' || (c.state === 'pending' && c.waiting) || c.state === 'failed';
        work.push(
          c.reconfigure(next, { start: false }).then(() => {
            if (startAfter && next.enabled) return launch(c);
          }),
        );
      }
      // Switched on (enabled: false before, even since the daemon started): the entry exists, disabled.
      for (const name of plan.added) {
        const c = components.get(name);
        const next = config.components[name];
        if (!c || !next || c.state !== 'disabled') continue;
        work.push(c.reconfigure(next, { start: false }).then(() => launch(c)));
      }
      // The plan leaves out entries that stay disabled: list each as at start, a new one too, and forget one gone from the file.
      for (const [name, next] of Object.entries(config.components)) {
        if (next.enabled) continue;
        const c = components.get(name);
        if (!c) add(name, next);
        else if (c.state === 'disabled') c.updateConfig(next);
      }
      for (const [name, c] of components) {
        if (c.state === 'disabled' && !config.components[name]) work.push(forget(name, c));
      }
      const added = plan.added.filter((n) => !components.has(n) && config.components[n]);
      for (const name of added) add(name, config.components[name]!);
      for (const c of components.values()) {
        if (!added.includes(c.name) && c.waiting) rejudge(c); // its dependencies may have changed
      }
      for (const name of added) {
        const c = components.get(name)!;
        work.push(launch(c));
      }
      const results = await Promise.allSettled(work);
      for (const r of results) if (r.status === 'rejected') opts.logger?.error(`reload: ${(r.reason as Error).message}`);
    },

    pidsOf(name) {
      return components.get(name)?.pids() ?? [];
    },

    setSample(name, sample) {
      components.get(name)?.setSample(sample);
    },

    component(name) {
      return components.get(name);
    },
  };
  return supervisor;
}

export type { ComponentInfo };
