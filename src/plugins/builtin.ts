import { z } from 'zod';
import { BUILTIN_RUNNERS } from '../config/schema.js';
import { killTmuxSession } from '../runners/tmux/leftovers.js';
import { DEFAULT_TMUX_SESSION, defaultTmuxSocket } from '../runners/tmux/tmux-command.js';
import { definePlugin, type ComponentLifecycle, type PluginDefinition } from './types.js';

type BuiltinName = (typeof BUILTIN_RUNNERS)[number];

// The built-in runners' keys are all core keys, so their own schema accepts nothing.
const noKeys = z.strictObject({});

const processPlugin = definePlugin({
  name: 'process',
  configSchema: noKeys,
  create: (ctx): ComponentLifecycle => ({ start: () => ctx.runners.process(ctx.runOptions()) }),
});

const ptyPlugin = definePlugin({
  name: 'pty',
  configSchema: noKeys,
  create: (ctx): ComponentLifecycle => ({ start: () => ctx.runners.pty(ctx.runOptions()) }),
});

export { DEFAULT_TMUX_SESSION };

// Components of the built-in tmux plugin per session, so the last one to go removes the session.
const sessionUsers = new Map<string, number>();

const tmuxPlugin = definePlugin({
  name: 'tmux',
  configSchema: noKeys,
  create: (ctx): ComponentLifecycle => {
    const session = ctx.component.session ?? DEFAULT_TMUX_SESSION;
    let used: { socket: string; key: string } | null = null;
    return {
      start: async () => {
        const instance = await ctx.runners.tmux({ ...ctx.runOptions(), session, window: ctx.component.window ?? ctx.name });
        if (!used) {
          const socket = (instance.attach?.kind === 'tmux' ? instance.attach.socket : undefined) ?? defaultTmuxSocket();
          used = { socket, key: `${socket}\0${session}` };
          sessionUsers.set(used.key, (sessionUsers.get(used.key) ?? 0) + 1);
        }
        return instance;
      },
      // corral down (or removing the last of a session's components) removes the session, hand-made windows included.
      // Plugins that must keep it (tmux-orchestrator's keep_session) run their own windows through ctx.runners.tmux.
      dispose: async () => {
        if (!used) return;
        const left = (sessionUsers.get(used.key) ?? 1) - 1;
        if (left > 0) sessionUsers.set(used.key, left);
        else {
          sessionUsers.delete(used.key);
          await killTmuxSession(used.socket, session);
        }
        used = null;
      },
    };
  },
});

export const BUILTIN_PLUGINS: Record<BuiltinName, PluginDefinition> = {
  process: processPlugin as PluginDefinition,
  pty: ptyPlugin as PluginDefinition,
  tmux: tmuxPlugin as PluginDefinition,
};

export function isBuiltinPlugin(ref: string): ref is BuiltinName {
  return (BUILTIN_RUNNERS as readonly string[]).includes(ref);
}
