import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus, BusEntry } from '../../../src/bus/types.js';
import { ComponentSchema } from '../../../src/config/schema.js';
import { createLifecycle } from '../../../src/plugins/context.js';
import { loadPlugin } from '../../../src/plugins/loader.js';
import { pluginKeysOf } from '../../../src/plugins/plugin-config.js';
import type { ComponentLifecycle, Instance, Logger } from '../../../src/plugins/types.js';
import { runProcess } from '../../../src/runners/process/index.js';
import { runPty } from '../../../src/runners/pty/index.js';
import { runTmux } from '../../../src/runners/tmux/run-tmux.js';

export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A real bus, a temp directory, and whatever the test starts, cleaned up by `close`. */
export class PluginHarness {
  readonly bus: Bus = createBus();
  readonly dir = mkdtempSync(join(tmpdir(), 'corral-plugins-'));
  readonly seen: BusEntry[] = [];
  private readonly lifecycles: ComponentLifecycle[] = [];
  private readonly instances: Instance[] = [];
  private readonly cleanups: Array<() => unknown> = [];

  constructor() {
    this.bus.subscribe({}, (entry) => this.seen.push(entry));
  }

  /** Builds a component's lifecycle the way the daemon does: load by name, split core/plugin keys, create. */
  async lifecycle(name: string, entry: Record<string, unknown>): Promise<ComponentLifecycle> {
    const plugin = await loadPlugin(String(entry.plugin), { configDir: this.dir });
    const lifecycle = await createLifecycle({
      name,
      component: ComponentSchema.parse(entry),
      plugin,
      pluginConfig: pluginKeysOf(entry),
      bus: this.bus,
      stateDir: join(this.dir, '.corral'),
      configDir: this.dir,
      logger: quietLogger,
      runners: { process: (r) => runProcess(r), pty: (r) => runPty({ ...r, stateDir: join(this.dir, '.corral') }), tmux: (r) => runTmux(r) },
    });
    this.lifecycles.push(lifecycle);
    return lifecycle;
  }

  async start(lifecycle: ComponentLifecycle): Promise<Instance> {
    const instance = await lifecycle.start();
    this.instances.push(instance);
    return instance;
  }

  onClose(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  events(type: string): BusEntry['event'][] {
    return this.seen.filter((e) => e.event.event_type === type).map((e) => e.event);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.instances.map((i) => i.stop('SIGKILL', 1000)));
    await Promise.allSettled(this.lifecycles.map((l) => l.dispose?.()));
    for (const fn of this.cleanups.reverse()) await Promise.resolve().then(fn).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }
}

