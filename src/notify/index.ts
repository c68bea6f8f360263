import { resolve } from 'node:path';
import type { CorralConfig } from '../config/schema.js';
import type { Bus } from '../bus/types.js';
import type { Logger } from '../plugins/types.js';
import { createNotifier, type TestResult } from './notifier.js';

export { QUEUE_MAX, type TestResult } from './notifier.js';
export { formatNotification, type Notification } from './format.js';

/** The daemon's notifications: apply a reloaded config, send a test, stop. */
export interface Notifications {
  apply(config: CorralConfig): void;
  test(rule?: string): Promise<TestResult[]>;
  ruleNames(): string[];
  dispose(): void;
}

/**
 * The tmux component whose `cwd` is a Claude Code session's: `corral attach
 * NAME` opens its window. Null when no tmux component runs there.
 */
function attachHintFor(getConfig: () => CorralConfig, configDir: string) {
  return (cwd: string): string | null => {
    for (const [name, c] of Object.entries(getConfig().components)) {
      if (c.plugin !== 'tmux' || c.enabled === false) continue;
      if (resolve(configDir, c.cwd ?? '.') === resolve(cwd)) return `corral attach ${name}`;
    }
    return null;
  };
}

/** Starts the `notify:` rules of a config on the bus; `dispose` ends them (deliveries in flight are abandoned). */
export function startNotifications(opts: { bus: Bus; config: CorralConfig; configDir: string; logger?: Logger }): Notifications {
  let config = opts.config;
  const notifier = createNotifier({ bus: opts.bus, rules: config.notify, ...(opts.logger ? { logger: opts.logger } : {}), attach: attachHintFor(() => config, opts.configDir) });
  return {
    apply(next) {
      config = next;
      notifier.apply(next.notify);
    },
    test: (rule) => notifier.test(rule),
    ruleNames: () => notifier.ruleNames(),
    dispose: () => notifier.dispose(),
  };
}
