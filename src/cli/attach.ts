import { spawn } from 'node:child_process';
import type { AttachInfo } from '../plugins/types.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { defaultTmuxSocket } from '../runners/tmux/tmux-command.js';
import { UsageError, parseArgs } from './args.js';
import { DETACH_HINT, attachPty } from './attach-pty.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { runCommand } from './run-command.js';

/** `corral attach NAME`: connect this terminal to a running tmux or pty component. */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    if (positionals.length !== 1) throw new UsageError('usage: corral attach NAME');
    const name = positionals[0]!;
    const target = findDaemon(flags.config as string | undefined);
    const res = await apiRequest<{ components: ComponentInfo[] } | ComponentInfo[] | { error?: string }>(target, 'GET', '/api/components');
    if (res.status !== 200) throw new Error(`the daemon answered ${res.status}: ${JSON.stringify(res.body)}`);
    const list = Array.isArray(res.body) ? res.body : ((res.body as { components?: ComponentInfo[] }).components ?? []);
    const component = list.find((c) => c.name === name);
    if (!component) {
      throw new UsageError(`no component named "${name}"${list.length ? ` (there are: ${list.map((c) => c.name).join(', ')})` : ''}`);
    }
    if (!component.attach) {
      throw new Error(
        `"${name}" cannot be attached to: ${component.state === 'running' || component.state === 'healthy' || component.state === 'unhealthy' ? `its plugin "${component.plugin}" gives it no terminal (only pty and tmux components have one)` : `it is ${component.state}`}`,
      );
    }
    return attachTo(component.attach, name);
  }, 'attach');
}

/** Attaches to a component given its attach info; resolves to the exit code. */
export async function attachTo(attach: AttachInfo, name: string): Promise<number> {
  if (attach.kind === 'tmux') return attachTmux(attach);
  if (!process.stdin.isTTY) throw new Error('corral attach needs a terminal (stdin is not a TTY)');
  process.stderr.write(`attached to ${name} — ${DETACH_HINT}\r\n`);
  const how = await attachPty({ socketPath: attach.socketPath });
  process.stderr.write(how === 'detached' ? `\r\ndetached from ${name} (it keeps running)\r\n` : `\r\n${name}'s terminal closed\r\n`);
  return 0;
}

/** Hands the terminal to tmux itself (detach with the tmux prefix then d, as usual). */
function attachTmux(attach: Extract<AttachInfo, { kind: 'tmux' }>): Promise<number> {
  const socket = attach.socket ?? defaultTmuxSocket();
  // Inside another tmux, a nested attach refuses unless TMUX is cleared; the user asked for it explicitly.
  const env = { ...process.env };
  delete env.TMUX;
  // Select the component's window first so the attach lands on it.
  const args = ['-L', socket, 'select-window', '-t', attach.window, ';', 'attach-session', '-t', `=${attach.session}`];
  return new Promise((resolve, reject) => {
    const child = spawn('tmux', args, { stdio: 'inherit', env });
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'ENOENT' ? 'tmux is not installed (not found on PATH)' : `tmux failed: ${err.message}`)),
    );
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
