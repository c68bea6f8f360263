import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Bus, BusEntry, PublishResult } from '../bus/types.js';
import type { ComponentConfig } from '../config/schema.js';
import { makeError } from '../schema/errors.js';
import type { EventFilter } from '../schema/messages.js';
import type { BuiltinRunners, ComponentLifecycle, HealthResult, Instance, Logger, PluginContext, PluginDefinition, RunOptions, Runners } from './types.js';
import { validatePluginConfig } from './plugin-config.js';
import { DisposerStack } from '../util/disposers.js';
import { abortable, abortedBy } from '../util/abort.js';
import { acquireTmuxWatch, announceSessionCreated, announceWindowAdded, type TmuxWatchHandle } from '../runners/tmux/watch.js';
import { defaultTmuxSocket } from '../runners/tmux/tmux-command.js';
import { killTmuxSession } from '../runners/tmux/leftovers.js';
import type { TmuxInstance } from '../runners/tmux/run-tmux.js';
import { publishOwnEvent } from '../bus/own-events.js';
import type { OwnEvent } from '../schema/payloads.js';
import { CorralError } from '../errors.js';

/** Setup time a plugin gets when it does not say (ms). */
export const DEFAULT_SETUP_TIMEOUT_MS = 10_000;

export interface CreateLifecycleOptions {
  /** The component's name in the config. */
  name: string;
  component: ComponentConfig;
  plugin: PluginDefinition;
  /** The plugin's own keys of the entry (see `pluginKeysOf`); parsed here with the plugin's schema. */
  pluginConfig: Record<string, unknown>;
  bus: Bus;
  /** corral's state directory; the plugin's own is `<stateDir>/plugins/<name>/`. */
  stateDir: string;
  configDir: string;
  logger: Logger;
  runners: BuiltinRunners;
}

/** Raised when a plugin fails to set up (throws, hangs, or its keys are invalid); the message names the plugin. */
export class PluginSetupError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLG002', [message], options);
  }
}

/**
 * Builds the plugin's context and calls its `create` under the setup
 * timeout. Rejects with a PluginSetupError naming the plugin and component
 * when create throws, hangs, or the plugin's keys do not validate; the
 * supervisor then marks the component failed. The returned lifecycle never
 * throws synchronously, turns a failing `health` into `{ ok: false }`, and
 * on `dispose` aborts the context's signal, runs the plugin's dispose and
 * drops its subscriptions, last in first out, swallowing (and logging) errors.
 */
export async function createLifecycle(opts: CreateLifecycleOptions): Promise<ComponentLifecycle> {
  const { name, plugin, logger } = opts;
  const label = `plugin "${plugin.name}" (component "${name}")`;

  const parsed = validatePluginConfig(plugin.configSchema, opts.pluginConfig, `components.${name}`);
  if (!parsed.ok) {
    throw new PluginSetupError(`${label}: invalid config: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }

  const controller = new AbortController();
  // Cleanups run last in first out, like a stack of acquired resources.
  const disposers = new DisposerStack((what, err) => logger.error(`${label}: ${what} failed: ${messageOf(err)}`));
  const ctx = buildContext(opts, controller.signal, disposers);

  const timeoutMs = plugin.setupTimeout ?? DEFAULT_SETUP_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  let inner: ComponentLifecycle;
  try {
    // `Promise.resolve().then` turns a synchronous throw in create into a rejection.
    const created = Promise.resolve().then(() => plugin.create(ctx, parsed.value));
    // A create that settles after the timeout must not become an unhandled rejection.
    created.catch(() => {});
    inner = await abortable(created, deadline);
  } catch (err) {
    const timedOut = abortedBy(err, deadline);
    const failure = timedOut
      ? new PluginSetupError(`${label}: setup did not finish within ${timeoutMs} ms`)
      : err instanceof PluginSetupError
        ? err
        : new PluginSetupError(`${label} failed to set up: ${messageOf(err)}`, { cause: err });
    controller.abort(timedOut ? failure : err);
    await disposers.dispose();
    throw failure;
  }
  if (!inner || typeof inner.start !== 'function') {
    controller.abort();
    await disposers.dispose();
    throw new PluginSetupError(`${label}: create() must return an object with a start() function`);
  }
  return wrapLifecycle(inner, label, logger, controller, disposers);
}

function buildContext(
  opts: CreateLifecycleOptions,
  signal: AbortSignal,
  disposers: DisposerStack,
): PluginContext {
  const { name, bus, logger } = opts;
  const pluginStateDir = join(opts.stateDir, 'plugins', name);
  let stateDirMade = false;
  return {
    name,
    component: opts.component,
    configDir: opts.configDir,
    get stateDir() {
      // Created on first use so plugins that keep no state leave nothing behind.
      if (!stateDirMade) {
        mkdirSync(pluginStateDir, { recursive: true, mode: 0o700 });
        stateDirMade = true;
      }
      return pluginStateDir;
    },
    logger,
    publish(event): PublishResult {
      try {
        return bus.publish({ ...event, source: event.source ?? name, session_id: event.session_id ?? bus.sessionId });
      } catch (err) {
        // The bus refuses bad input with a result; a throw here is a bug, reported to the plugin as a refusal.
        return { ok: false, error: makeError('WS003', name, `publish failed: ${messageOf(err)}`) };
      }
    },
    subscribe(filter: EventFilter, listener: (entry: BusEntry) => void): () => void {
      // The bus calls listeners synchronously inside publish: a plugin's throw must not reach the publisher.
      const safe = (entry: BusEntry) => {
        try {
          const result = (listener as (e: BusEntry) => unknown)(entry);
          if (result instanceof Promise) result.catch((err: unknown) => logger.error(`subscriber failed: ${messageOf(err)}`));
        } catch (err) {
          logger.error(`subscriber failed: ${messageOf(err)}`);
        }
      };
      const unsubscribe = bus.subscribe(filter, safe);
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        unsubscribe();
      };
      disposers.push({ what: 'subscription', run: once });
      return once;
    },
    runners: withTmuxEvents(opts.runners, name, (e) => publishOwnEvent(bus, e), logger, disposers),
    runOptions: (overrides) => runOptionsFor(name, opts.component, opts.configDir, overrides),
    signal,
  };
}

/** `ctx.runOptions()`: the component's own command, cwd and env as a runner takes them, with a plugin's overrides. */
export function runOptionsFor(name: string, component: ComponentConfig, configDir: string, overrides: Partial<RunOptions> = {}): RunOptions {
  const command = overrides.command ?? component.command;
  if (command === undefined) throw new Error(`component "${name}": plugin "${component.plugin}" needs a "command"`);
  const cwd = resolve(configDir, component.cwd ?? '.');
  const env = component.env || overrides.env ? { ...component.env, ...overrides.env } : undefined;
  return {
    name: overrides.name ?? name,
    command,
    shell: overrides.shell ?? component.shell,
    cwd: overrides.cwd !== undefined ? resolve(cwd, overrides.cwd) : cwd,
    ...(env ? { env } : {}),
  };
}

function wrapLifecycle(
  inner: ComponentLifecycle,
  label: string,
  logger: Logger,
  controller: AbortController,
  disposers: DisposerStack,
): ComponentLifecycle {
  const lifecycle: ComponentLifecycle = {
    async start(): Promise<Instance> {
      try {
        const instance = await inner.start();
        if (!instance || typeof instance.stop !== 'function' || !(instance.exited instanceof Promise)) {
          throw new Error('start() must resolve to an Instance (pid, command, exited, stop, pids)');
        }
        return instance;
      } catch (err) {
        throw new Error(`${label} failed to start: ${messageOf(err)}`, { cause: err });
      }
    },
  };
  if (typeof inner.health === 'function') {
    const health = inner.health.bind(inner);
    lifecycle.health = async (): Promise<HealthResult> => {
      try {
        const result = await health();
        return result && typeof result.ok === 'boolean' ? result : { ok: false, detail: `${label}: health() returned no { ok }` };
      } catch (err) {
        return { ok: false, detail: `${label}: health check threw: ${messageOf(err)}` };
      }
    };
  }
  if (typeof inner.dispose === 'function') {
    const dispose = inner.dispose.bind(inner);
    disposers.push({ what: 'dispose()', run: dispose });
  }
  let disposed: Promise<void> | null = null;
  lifecycle.dispose = () => {
    disposed ??= (async () => {
      controller.abort(new Error(`${label} disposed`));
      await disposers.dispose();
    })();
    return disposed;
  };
  return lifecycle;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The tmux runner as plugins see it: every session a component runs in is
 * watched (one control-mode client per session, shared), so tmux's own
 * window and session changes reach the bus whichever plugin started them.
 */
function withTmuxEvents(
  runners: BuiltinRunners,
  component: string,
  publish: (e: OwnEvent) => PublishResult,
  logger: Logger,
  disposers: DisposerStack,
): Runners {
  const handles = new Map<string, TmuxWatchHandle>();
  let registered = false;
  return {
    process: (o) => runners.process(o),
    pty: (o) => runners.pty(o),
    tmuxKillSession: (session, socket) => killTmuxSession(socket ?? defaultTmuxSocket(), session),
    tmux: async (o) => {
      const instance = (await runners.tmux({ component, ...o })) as Partial<TmuxInstance> & Instance;
      const socket = instance.attach?.kind === 'tmux' ? instance.attach.socket : o.socket;
      const key = `${socket ?? ''}\0${o.session}`;
      let handle = handles.get(key);
      if (!handle) {
        handle = acquireTmuxWatch({ socket, session: o.session, publish, logger });
        handles.set(key, handle);
        if (!registered) {
          registered = true;
          disposers.push({ what: 'tmux watch', run: () => [...handles.values()].forEach((h) => h.release()) });
        }
      }
      if (instance.windowId) handle.own(instance.windowId, component);
      const window = { session: o.session, id: instance.windowId ?? '', index: instance.windowIndex ?? 0, name: o.window ?? o.name };
      if (!instance.sessionCreated && instance.windowId) {
        announceWindowAdded({ socket: socket ?? defaultTmuxSocket(), window, component, publish });
      }
      if (instance.sessionCreated) {
        announceSessionCreated({
          socket: socket ?? defaultTmuxSocket(),
          sessionId: instance.sessionId ?? '',
          session: o.session,
          window,
          publish: (e) => publish(e.event_type === 'tmux.session.created' ? { ...e, payload: { ...e.payload, component } } : e),
        });
      }
      return instance;
    },
  };
}
