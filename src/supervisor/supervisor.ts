import type { Bus } from '../bus/types.js';
import type { ComponentConfig, CorralConfig } from '../config/schema.js';
import type { ComponentLifecycle, Logger } from '../runners/types.js';
import type { ComponentStatus } from '../schema/messages.js';
import { UnknownComponentError, type ComponentInfo, type ComponentState, type Controller } from './types.js';
import { Component, ComponentDisabledError } from './component.js';
import { createComponentEvents, type ComponentEvents } from './events.js';
import { startHealthWatch as realHealthWatch, type StartHealthWatch } from './health-watch.js';
import { createDependencyGraph } from './graph.js';
import { applyReloadPlan, type SupervisorPlan } from './apply-plan.js';
import { createWatchers } from './watchers.js';

/** A live process group, for the state-directory record that lets a later daemon end what this one left. */
export interface GroupInfo {
  name: string;
  pgid: number;
  started_at: number;
}

export type { SupervisorPlan };

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
  /**
   * Whether `corral up` asked for this component (`up NAME...`, `--profile`);
   * one it did not is `inactive` instead of started, at start and when a
   * reload adds or enables it. Default: every component.
   */
  selected?: (name: string) => boolean;
}

/** The supervisor: every component's state machine, their dependencies, and the `Controller` operations. */
export interface Supervisor extends Pick<Controller, 'list' | 'statuses' | 'start' | 'stop' | 'restart'> {
  /** Starts every enabled component, each once its dependencies are met. Resolves when each has started or is blocked. */
  startAll(): Promise<void>;
  /** A restart corral decides on its own (on_critical): counts toward max_restarts like a crash restart. */
  autoRestart(name: string, cause: string): Promise<void>;
  /** Starts these (a set that holds its own dependencies; `corral up NAME...` on a running daemon) without waiting for them to settle. */
  startSome(names: readonly string[]): Promise<void>;
  /** Stops these (a set that holds its own dependants; `corral down NAME...`), dependants first. */
  stopSome(names: readonly string[], cause: string): Promise<void>;
  /** Stops everything, dependants first, under an overall deadline; `blocked` names what had not stopped by then. */
  stopAll(deadlineMs: number): Promise<{ blocked: string[] }>;
  /** Applies a validated reload plan. */
  applyPlan(config: CorralConfig, plan: SupervisorPlan): Promise<void>;
  /** Root pids of a component's live generation (empty when not running or unknown). */
  pidsOf(name: string): number[];
  /** Records the last resource sample, shown by `list()`. */
  setSample(name: string, sample: { cpu_percent: number; memory_mb: number }): void;
  /** Settles once the component's file watcher (`watch:`) has scanned its paths; at once when it has none. */
  watchReady(name: string): Promise<void>;
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
  inactive: 'stopped',
  failed: 'failed',
};

/** Tells `onGroupsChanged` the process groups of the running components, when they changed since it last did. */
function groupReporter(components: Map<string, Component>, opts: Pick<SupervisorOptions, 'onGroupsChanged' | 'logger'>): () => void {
  let lastGroups = '';
  return () => {
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
}

/** Creates the supervisor for a validated config. Nothing starts until `startAll` or `start`. */
export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const events: ComponentEvents = createComponentEvents(opts.bus, (m) => opts.logger?.error(m));
  const components = new Map<string, Component>();

  const get = (name: string): Component => {
    const c = components.get(name);
    if (!c) throw new UnknownComponentError(name);
    return c;
  };

  const reportGroups = groupReporter(components, opts);

  const graph = createDependencyGraph(components, opts.logger);
  const { judge, rejudge, startDependencies, startBudget, untilSettled } = graph;

  const watchers = createWatchers({ components, configDir: opts.configDir, logger: opts.logger });
  const onComponentChange = (changed: Component) => {
    reportGroups();
    watchers.sync(changed);
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

  /**
   * Starts it (a no-op when disabled), logging a failed command; true when the
   * command ran. A reload starts with this alone, not waiting for it to
   * settle: a component left waiting for a dependency that never gets healthy
   * would otherwise hold the reload, and every reload after it, for ever; the
   * reload's answer is the plan, and the components' own events follow.
   */
  const launch = async (c: Component, command: () => Promise<void> = () => c.start()): Promise<boolean> => {
    if (c.state === 'disabled') return false;
    // Never started and left out by `corral up NAME...` or `--profile`: inactive, not started.
    if (opts.selected && c.generation === 0 && !c.startPending && !opts.selected(c.name)) {
      c.markInactive();
      return false;
    }
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

  const supervisor: Supervisor = {
    async startAll() {
      await Promise.all([...components.values()].map((c) => startAndSettle(c, () => c.start())));
    },

    async startSome(names) {
      const chosen = names.map(get);
      const off = chosen.find((c) => c.state === 'disabled');
      if (off) throw new ComponentDisabledError(off.name);
      await Promise.all(chosen.map((c) => c.start().catch((err: unknown) => opts.logger?.error(`${c.name}: ${(err as Error).message}`))));
    },

    stopSome: (names, cause) => graph.stopInOrder(names, cause),

    async stopAll(deadlineMs) {
      const result = await graph.stopAll(deadlineMs);
      await watchers.closeAll();
      return result;
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
      await applyReloadPlan({ components, add, launch, rejudge, reportGroups, logger: opts.logger }, config, plan);
      // Brought into the selection by the reload (its `profiles` changed): started now.
      for (const c of components.values()) if (c.state === 'inactive' && opts.selected?.(c.name)) void launch(c);
      // A `watch` changed in place, or a component removed: its watcher follows.
      watchers.syncAll();
    },

    pidsOf(name) {
      return components.get(name)?.pids() ?? [];
    },

    setSample(name, sample) {
      components.get(name)?.setSample(sample);
    },

    watchReady: (name) => watchers.ready(name),

    component(name) {
      return components.get(name);
    },
  };
  return supervisor;
}

export type { ComponentInfo };
