import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { definePlugin } from '../../src/index.js';

const ConfigSchema = z.strictObject({
  /** Where the monitor runs: its own pseudo-terminal (attach with `corral attach`), or a tmux window. */
  mode: z.enum(['pty', 'tmux']).default('pty'),
  /** The config file the monitor reads to find the daemon (default: found from the component's cwd). */
  config_file: z.string().min(1).optional(),
  /** Extra `corral monitor` arguments, e.g. ["--type", "component.*"]. */
  args: z.array(z.string()).default([]),
  /** tmux server socket name (`tmux -L`) in tmux mode; default: the tmux runner's own. */
  socket: z.string().min(1).optional(),
  cols: z.number().int().positive().default(120),
  rows: z.number().int().positive().default(40),
});

/** corral's CLI entry, found from this file whether it runs from source (plugins/) or from the build (dist/plugins/). */
function findCorralBin(): string {
  for (const up of ['../../bin/corral.js', '../../../bin/corral.js']) {
    const candidate = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('cli-monitor: cannot find corral\'s bin/corral.js next to the plugins; set the component\'s "command" to run the monitor');
}

/**
 * cli-monitor: runs `corral monitor` as a component, in a pty of its own or
 * in a window of a tmux session (the component's `session`/`window`, default
 * corral/monitor), so the monitor is always one `corral attach` away.
 */
export default definePlugin({
  name: 'cli-monitor',
  version: '0.1.0',
  corral: '>=0.1.0',
  configSchema: ConfigSchema,
  create(ctx, config) {
    const configArgs = config.config_file ? ['-c', resolve(ctx.configDir, config.config_file)] : [];
    return {
      async start() {
        const command = ctx.component.command ?? [process.execPath, findCorralBin(), 'monitor', ...configArgs, ...config.args];
        const base = ctx.runOptions({ command });
        if (config.mode === 'tmux') {
          return ctx.runners.tmux({
            ...base,
            session: ctx.component.session ?? 'corral',
            window: ctx.component.window ?? 'monitor',
            ...(config.socket ? { socket: config.socket } : {}),
          });
        }
        return ctx.runners.pty({ ...base, cols: config.cols, rows: config.rows });
      },
    };
  },
});
