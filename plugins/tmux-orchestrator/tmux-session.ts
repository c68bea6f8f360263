import { execFile } from 'node:child_process';

/** The tmux command line for a server: `tmux -L SOCKET ...`, or the default server without a socket. */
function tmuxArgs(socket: string | undefined, args: string[]): string[] {
  return socket ? ['-L', socket, ...args] : args;
}

function runTmux(socket: string | undefined, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('tmux', tmuxArgs(socket, args), { timeout: 5000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stderr: String(stderr).trim() || (err ? err.message : '') });
    });
  });
}

/** True when the session exists on that tmux server (`=` makes the name exact, not a prefix). */
export async function hasSession(socket: string | undefined, session: string): Promise<boolean> {
  return (await runTmux(socket, ['has-session', '-t', `=${session}`])).code === 0;
}
