import { resolve } from 'node:path';
import { z } from 'zod';
import { BUILTIN_RUNNERS } from '../config/schema.js';
import { definePlugin, type ComponentLifecycle, type PluginContext, type PluginDefinition, type RunOptions } from './types.js';

type BuiltinName = (typeof BUILTIN_RUNNERS)[number];

/** The run options a built-in runner takes, from the component's core keys. */
export function runOptionsFor(ctx: PluginContext): RunOptions {
  const { component } = ctx;
  if (component.command === undefined) {
    throw new Error(`component "${ctx.name}": plugin "${component.plugin}" needs a "command"`);
  }
  return {
    name: ctx.name,
    command: component.command,
    shell: component.shell,
    cwd: resolve(ctx.configDir, component.cwd ?? '.'),
    env: component.env,
  };
}

// The built-in runners' keys are all core keys, so their own schema accepts nothing.
const noKeys = z.strictObject({});

const processPlugin = definePlugin({
  name: 'process',
  configSchema: noKeys,
  create: (ctx): ComponentLifecycle => ({ start: () => ctx.runners.process(runOptionsFor(ctx)) }),
});

const ptyPlugin = definePlugin({
  name: 'pty',
  configSchema: noKeys,
  create: (ctx): ComponentLifecycle => ({ start: () => ctx.runners.pty(runOptionsFor(ctx)) }),
});

/** Default tmux session of tmux components that name none. */
export const DEFAULT_TMUX_SESSION = 'corral';

const tmuxPlugin = definePlugin({
  name: 'tmux',
  configSchema: noKeys,
  create: (ctx): ComponentLifecycle => ({
    start: () =>
      ctx.runners.tmux({ ...runOptionsFor(ctx), session: ctx.component.session ?? DEFAULT_TMUX_SESSION, window: ctx.component.window ?? ctx.name }),
  }),
});

export const BUILTIN_PLUGINS: Record<BuiltinName, PluginDefinition> = {
  process: processPlugin as PluginDefinition,
  pty: ptyPlugin as PluginDefinition,
  tmux: tmuxPlugin as PluginDefinition,
};

export function isBuiltinPlugin(ref: string): ref is BuiltinName {
  return (BUILTIN_RUNNERS as readonly string[]).includes(ref);
}
