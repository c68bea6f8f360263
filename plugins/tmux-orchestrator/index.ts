import { z } from 'zod';
import { definePlugin, type ExitInfo, type Instance } from '../../src/index.js';
import { hasSession } from './tmux-session.js';

const WindowSchema = z.strictObject({
  name: z.string().min(1).regex(/^[^:.]+$/, 'a window name cannot contain ":" or "."'),
  /** What runs in the window; without one, the user's shell. */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional(),
  cwd: z.string().optional(),
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
});

const ConfigSchema = z.strictObject({
  windows: z
    .array(WindowSchema)
    .min(1)
    .refine((ws) => new Set(ws.map((w) => w.name)).size === ws.length, { message: 'window names must be unique' })
    .default([{ name: 'shell' }]),
  /** Leave the session running when the component stops (corral down). */
  keep_session: z.boolean().default(false),
  /** tmux server socket name (`tmux -L`); default: the tmux runner's own. */
  socket: z.string().min(1).optional(),
});

/** Settles with the first window's failure, or a clean exit once every window is gone. */
async function allExited(windows: Instance[]): Promise<ExitInfo> {
  const infos = await Promise.all(windows.map((w) => w.exited));
  return infos.find((i) => i.code !== 0 || i.signal !== null) ?? { code: 0, signal: null };
}

/**
 * tmux-orchestrator: one tmux session (the component's `session`, default
 * "corral") with a window per entry of `windows`, each run by the tmux runner,
 * whose control-mode client publishes tmux.session.created and
 * tmux.window.changed. Healthy while the session exists.
 */
export default definePlugin({
  name: 'tmux-orchestrator',
  version: '0.1.0',
  corral: '>=0.1.0',
  configSchema: ConfigSchema,
  create(ctx, config) {
    if (ctx.component.command !== undefined) {
      throw new Error(`components.${ctx.name}.command: tmux-orchestrator runs no command of its own; give each window its command under "windows"`);
    }
    const session = ctx.component.session ?? 'corral';
    // Known once the first window runs: the configured socket, else the one the runner chose.
    let socket = config.socket;
    const shell = process.env.SHELL || '/bin/sh';

    return {
      async start() {
        const windows: Instance[] = [];
        // A session of this name left by a daemon that died (or a crashed generation) holds dead
        // windows: start from a clean one (its processes ended too), unless the config asks to keep it.
        // A kept session keeps the windows opened by hand; the tmux runner replaces the ones a corral
        // that is gone opened (it ends their processes and closes them once the new windows run).
        if (!config.keep_session) await removeSession().catch(() => false);
        try {
          // One at a time: the first window creates the session, the others join it.
          for (const w of config.windows) {
            const instance = await ctx.runners.tmux({
              // A window's cwd is relative to the component's (itself relative to the config file); its env is added over the component's.
              ...ctx.runOptions({
                name: `${ctx.name}.${w.name}`,
                command: w.command ?? [shell],
                shell: typeof w.command === 'string' ? ctx.component.shell : false,
                ...(w.cwd !== undefined ? { cwd: w.cwd } : {}),
                ...(w.env ? { env: w.env } : {}),
              }),
              session,
              window: w.name,
              ...(socket ? { socket } : {}),
            });
            windows.push(instance);
            if (instance.attach?.kind === 'tmux') socket ??= instance.attach.socket;
          }
        } catch (err) {
          await Promise.allSettled(windows.map((w) => w.stop('SIGTERM', 2000)));
          if (!config.keep_session) await removeSession().catch(() => {});
          throw err;
        }
        return composeSession(windows);
      },
      async health() {
        return (await hasSession(socket, session)) ? { ok: true, detail: `tmux session "${session}" exists` } : { ok: false, detail: `tmux session "${session}" is gone` };
      },
    };

    /**
     * Kills the session through corral's runner (which also ends what still runs in its panes and,
     * when it was the server's last session, removes the server's socket file).
     */
    async function removeSession(): Promise<void> {
      await ctx.runners.tmuxKillSession(session, socket);
    }

    function composeSession(windows: Instance[]): Instance {
      let finish!: (info: ExitInfo) => void;
      const exited = new Promise<ExitInfo>((r) => (finish = r));
      void allExited(windows).then(finish);
      const first = windows[0]!;
      return {
        pid: first.pid,
        command: `tmux session ${session}: ${config.windows.map((w) => w.name).join(', ')}`,
        exited,
        pids: () => windows.flatMap((w) => w.pids()),
        attach: { kind: 'tmux', ...(socket ? { socket } : {}), session, window: config.windows[0]!.name },
        async stop(signal, timeoutMs) {
          if (config.keep_session) {
            // The session outlives corral on purpose: let go of it without touching its windows.
            ctx.logger.info(`leaving tmux session "${session}" running (keep_session)`);
            finish({ code: 0, signal: null });
            return exited;
          }
          // An interactive shell ignores SIGTERM; it ends on SIGHUP, as when its terminal closes.
          const infos = await Promise.all(windows.map((w, i) => w.stop(config.windows[i]!.command === undefined ? 'SIGHUP' : signal, timeoutMs)));
          await removeSession();
          finish(infos.find((i) => i.killed) ?? { code: 0, signal: null });
          return exited;
        },
      };
    }
  },
});
