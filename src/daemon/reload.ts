import { withPortOverride } from '../config/port-override.js';
import type { Bus } from '../bus/types.js';
import type { CorralConfig } from '../config/schema.js';
import type { Logger } from '../plugins/types.js';
import { loadConfig, type LoadResult } from '../config/load.js';
import { withReplicas } from '../config/replicas.js';
import { planReload, type ReloadPlan } from '../config/diff.js';
import { watchConfig } from '../config/watch.js';
import { makeError } from '../schema/errors.js';
import type { ReloadResult } from '../supervisor/types.js';
import type { BusApplied } from './bus-endpoint.js';
import { publishOwn } from '../bus/own-events.js';
import type { ConfigChangedPayload } from '../schema/payloads.js';

type LoadOk = Extract<LoadResult, { ok: true }>;

export interface ReloaderOptions {
  configPath: string;
  initial: LoadOk;
  bus: Bus;
  logger: Logger;
  resolvePluginSchema: Parameters<typeof loadConfig>[1] extends infer O ? (O extends { resolvePluginSchema?: infer R } ? R : never) : never;
  /**
   * Applies the changed bus settings of a valid new config, before
   * `config.changed` is published so that it says what was applied (a new
   * port that is taken is no move). Never throws: what failed is in `error`.
   */
  applyBus(next: CorralConfig, plan: ReloadPlan): Promise<BusApplied>;
  /** Applies the rest (components and ecosystem-wide settings); `busApplied` false keeps the old bus settings. */
  apply(next: CorralConfig, plan: ReloadPlan, busApplied: boolean): Promise<void>;
}

export interface Reloader {
  /** Re-reads the file now (SIGHUP, `corral reload`). */
  reload(trigger: string): Promise<ReloadResult>;
  /** Starts watching the file for saves; resolves once the watcher sees changes. */
  watch(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Hot reload: validate, diff per component, apply, and say what happened on
 * the bus (`config.changed` with the plan, or CFG001 with every error). An
 * invalid file changes nothing. Reloads are serialised: a save during an
 * apply waits for it.
 */
export function createReloader(opts: ReloaderOptions): Reloader {
  let current: LoadOk = opts.initial;
  // Whether the last file read was invalid, so a return to the applied file can be acknowledged.
  let failing = false;
  let chain: Promise<unknown> = Promise.resolve();
  let watcher: { close(): Promise<void> } | null = null;

  async function handle(result: LoadResult, trigger: string): Promise<ReloadResult> {
    result = withReplicas(withPortOverride(result));
    if (!result.ok) {
      const lines = result.errors.map((e) => {
        const where = [e.path, e.line ? `line ${e.line}, column ${e.column ?? 1}` : ''].filter(Boolean).join(' at ');
        return where ? `${where}: ${e.message}` : e.message;
      });
      const message = `config not applied (${opts.configPath}): ${lines.join('; ')}`;
      opts.logger.error(message);
      failing = true;
      opts.bus.publishError(
        makeError('CFG001', 'corral', message, { context: { file: opts.configPath, trigger, errors: result.errors } }),
      );
      return { ok: false, message, errors: result.errors, file: opts.configPath };
    }
    if (result.hash === current.hash) {
      if (failing) {
        opts.logger.info(`config is valid again (${opts.configPath}); it is the one already applied, nothing to change`);
        // Subscribers saw the CFG001: tell them it is over, with the (empty) plan.
        const unchanged = Object.values(result.config.components).filter((c) => c.enabled).length;
        publishOwn(opts.bus, 'config.changed', { added: [], removed: [], restarted: [], updated: [], settings: [], unchanged, hash: result.hash, trigger, valid_again: true });
      }
      failing = false;
      return { ok: true, message: 'config unchanged' };
    }
    failing = false;
    for (const w of result.warnings) opts.logger.warn(`config ${opts.configPath}${w.line ? `:${w.line}:${w.column ?? 1}` : ''}${w.path ? ` ${w.path}` : ''}: ${w.message}`);
    const plan = planReload(current.config, result.config);
    const bus = plan.bus.changed.length > 0 ? await opts.applyBus(result.config, plan) : null;
    const payload: ConfigChangedPayload = {
      added: plan.added,
      removed: plan.removed,
      restarted: plan.restarted,
      updated: plan.updated,
      // Ecosystem-wide sections (resources, logs, …): without them a save of thresholds alone looks like an empty plan.
      settings: plan.settings,
      unchanged: plan.unchanged,
      hash: result.hash,
      trigger,
      // What was applied: a move to a port that is taken is no move (`not_applied` and `error` say what was not).
      ...(bus ? { bus: busPayload(plan.bus.changed, bus) } : {}),
    };
    // The plan goes out first, then the component events it causes.
    publishOwn(opts.bus, 'config.changed', payload);
    let failure: string | null = bus?.error ? bus.error.message : null;
    try {
      await opts.apply(result.config, plan, !bus?.error);
    } catch (err) {
      failure = [(err as Error).message, failure].filter(Boolean).join('; ');
    }
    if (failure !== null) {
      const message = `config ${result.hash.slice(0, 12)} only partly applied: ${failure}`;
      opts.logger.error(message);
      opts.bus.publishError(makeError('CFG001', 'corral', message, { context: { file: opts.configPath, trigger } }));
      // The components were applied, the bus settings were not (the daemon keeps the old ones): the next
      // reload, even of the same file, diffs against that and retries the bus settings alone.
      current = { ...result, config: { ...result.config, bus: bus?.error ? current.config.bus : result.config.bus }, hash: `${result.hash}~partial` };
      return { ok: false, message };
    }
    current = result;
    // Ecosystem-wide and bus settings are named too: a save of those alone is not "nothing changed".
    const also = [
      ...(plan.settings.length > 0 ? [`settings: ${plan.settings.join(', ')}`] : []),
      ...(plan.bus.changed.length > 0 ? [`bus: ${plan.bus.changed.join(', ')}`] : []),
    ];
    const message = `config applied: ${plan.added.length} added, ${plan.removed.length} removed, ${plan.restarted.length} restarted, ${plan.updated.length} updated in place, ${plan.unchanged} unchanged${also.length > 0 ? `; ${also.join('; ')}` : ''}`;
    opts.logger.info(message);
    return { ok: true, message };
  }

  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  }

  return {
    reload: (trigger) =>
      enqueue(async () => handle(await loadConfig(opts.configPath, { resolvePluginSchema: opts.resolvePluginSchema }), trigger)),
    watch() {
      const w = watchConfig(opts.configPath, {
        resolvePluginSchema: opts.resolvePluginSchema,
        // The config already applied: a save between the daemon's load and the watcher's start is still seen.
        initial: { hash: current.hash, config: current.config, envFiles: current.envFiles },
        onError: (err) => opts.logger.warn(`config watch: ${err.message}`),
        onChange: (result: LoadResult) => void enqueue(() => handle(result, 'file')),
      });
      watcher = w;
      return w.ready;
    },
    async close() {
      await watcher?.close();
      await chain;
    },
  };
}

/** The `bus` of `config.changed`: the keys applied, whether the bus moved, and what was not applied and why. */
function busPayload(changed: string[], bus: BusApplied) {
  const notApplied = changed.filter((k) => !bus.applied.includes(k));
  return {
    changed: bus.applied,
    rebind: bus.moved,
    ...(bus.error ? { not_applied: notApplied, error: bus.error.message } : {}),
  };
}
