import type { Bus } from '../bus/types.js';
import type { ComponentConfig, CorralConfig } from '../config/schema.js';
import type { ComponentLifecycle, Logger } from '../plugins/types.js';
import type { ComponentStatus } from '../schema/messages.js';
import { UnknownComponentError, type ComponentInfo, type ComponentState, type Controller } from './types.js';
import { Component } from './component.js';
import { createComponentEvents, type ComponentEvents } from './events.js';
import { startHealthWatch as realHealthWatch, type StartHealthWatch } from './health-watch.js';
import { judgeDependencies } from './dependencies.js';

/** A live process group, for the state-directory record that lets a later daemon end what this one left. */
export interface GroupInfo {
  name: string;
  pgid: number;
  started_at: number;
}

/** What a hot reload changes, per component (DESIGN §8). */
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
  /** Pending components whose dependencies cannot be met right now. */
  const blocked = new Set<string>();
  /** Cancels a component's wait for its dependencies. */
  const waiters = new Map<string, () => void>();
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
    });
    c.onChange(reportGroups);
    components.set(name, c);
    return c;
  };
  for (const [name, config] of Object.entries(opts.config.components)) add(name, config);

  const cancelWait = (name: string) => {
    waiters.get(name)?.();
    waiters.delete(name);
    blocked.delete(name);
  };

  /**
   * Starts a component once its dependencies are met, re-judging on every
   * change of a dependency. Resolves once it has started or is first blocked;
   * a blocked component keeps waiting and starts if its dependencies recover.
   */
  const startWhenReady = (name: string): Promise<void> => {
    cancelWait(name);
    const c = get(name);
    if (c.state === 'disabled') return Promise.resolve();
    const deps = Object.keys(c.config.depends_on);
    if (deps.length === 0) return c.start().catch((err: unknown) => opts.logger?.error(`${name}: ${(err as Error).message}`));
    return new Promise<void>((settle) => {
      const unsubscribes: (() => void)[] = [];
      let done = false;
      const finish = () => {
        done = true;
        for (const u of unsubscribes) u();
        waiters.delete(name);
      };
      const judge = () => {
        if (done) return;
        const verdict = judgeDependencies(c, (n) => components.get(n), (n) => blocked.has(n));
        if (verdict.kind === 'met') {
          finish();
          blocked.delete(name);
          c.start()
            .catch((err: unknown) => opts.logger?.error(`${name}: ${(err as Error).message}`))
            .finally(settle);
          return;
        }
        // Record the block before the state change, so dependants judging on that change see it.
        if (verdict.kind === 'blocked') blocked.add(name);
        else blocked.delete(name);
        c.setPending(verdict.reason);
        if (verdict.kind === 'blocked') settle();
      };
      waiters.set(name, () => {
        finish();
        settle();
      });
      for (const dep of deps) {
        const d = components.get(dep);
        if (d) unsubscribes.push(d.onChange(judge));
      }
      judge();
    });
  };

  /** Other components that depend on `name`. */
  const dependantsOf = (name: string) => [...components.values()].filter((c) => name in c.config.depends_on).map((c) => c.name);

  const supervisor: Supervisor = {
    async startAll() {
      const names = [...components.keys()];
      await Promise.all(names.map((n) => startWhenReady(n)));
    },

    async stopAll(deadlineMs) {
      for (const name of [...waiters.keys()]) cancelWait(name);
      const stops = new Map<string, Promise<void>>();
      const done = new Set<string>();
      // Each component stops once every dependant has: reverse dependency order, as parallel as the graph allows.
      const stopOne = (name: string, path: Set<string>): Promise<void> => {
        const known = stops.get(name);
        if (known) return known;
        if (path.has(name)) return Promise.resolve(); // a cycle: a validated config has none
        const inner = new Set(path).add(name);
        const p = Promise.all(dependantsOf(name).map((d) => stopOne(d, inner)))
          .then(() => get(name).stop())
          .catch((err: unknown) => opts.logger?.error(`stopping ${name}: ${(err as Error).message}`))
          .then(() => void done.add(name));
        stops.set(name, p);
        return p;
      };
      const all = Promise.all([...components.keys()].map((n) => stopOne(n, new Set())));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((r) => (timer = setTimeout(() => r('deadline'), deadlineMs)));
      const outcome = await Promise.race([all.then(() => 'done' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'done') return { blocked: [] };
      // Out of time: signal everything still waiting for its dependants, and name what has not stopped.
      const left = [...components.keys()].filter((n) => !done.has(n));
      for (const name of left) void get(name).stop().catch(() => {});
      const stopping = left.filter((n) => get(n).state === 'stopping');
      return { blocked: stopping.length > 0 ? stopping : left };
    },

    async start(name) {
      get(name);
      cancelWait(name);
      await get(name).start();
    },

    async stop(name) {
      get(name);
      cancelWait(name);
      await get(name).stop();
    },

    async restart(name) {
      get(name);
      cancelWait(name);
      await get(name).restart();
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
      for (const name of plan.removed) {
        const c = components.get(name);
        if (!c) continue;
        cancelWait(name);
        // Forgotten only once its group is gone, so the group record keeps it until then.
        work.push(
          c.dispose().finally(() => {
            if (components.get(name) === c) components.delete(name);
            reportGroups();
          }),
        );
      }
      for (const name of plan.updated) {
        const c = components.get(name);
        const next = config.components[name];
        if (!c || !next) continue;
        const wasDisabled = c.state === 'disabled';
        c.updateConfig(next);
        if (!next.enabled && !wasDisabled) {
          cancelWait(name);
          work.push(c.disable());
        } else if (next.enabled && wasDisabled) {
          work.push(c.reconfigure(next, { start: false }).then(() => startWhenReady(name)));
        }
      }
      for (const name of plan.restarted) {
        const c = components.get(name);
        const next = config.components[name];
        if (!c || !next) continue;
        // A failed component whose command was fixed should run again; a stopped one stays stopped.
        const startAfter = c.state === 'disabled' || c.state === 'pending' || c.state === 'failed';
        cancelWait(name);
        work.push(
          c.reconfigure(next, { start: false }).then(() => {
            if (startAfter && next.enabled) return startWhenReady(name);
          }),
        );
      }
      const added = plan.added.filter((n) => !components.has(n) && config.components[n]);
      for (const name of added) add(name, config.components[name]!);
      for (const name of added) work.push(startWhenReady(name));
      const results = await Promise.allSettled(work);
      for (const r of results) if (r.status === 'rejected') opts.logger?.error(`reload: ${(r.reason as Error).message}`);
    },

    pidsOf(name) {
      return components.get(name)?.pids() ?? [];
    },

    setSample(name, sample) {
      const c = components.get(name);
      if (c && c.pid !== null) c.sample = sample;
    },

    component(name) {
      return components.get(name);
    },
  };
  return supervisor;
}

export type { ComponentInfo };
