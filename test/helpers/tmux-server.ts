import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ends a test's private tmux server (`tmux -L socket`) and removes its socket
 * file, which tmux leaves behind. The server is ended by its pid when
 * kill-server gets no answer: the test started it.
 */
export function killTestTmuxServer(socket: string): void {
  const info = spawnSync('tmux', ['-L', socket, 'display-message', '-p', '#{socket_path}\t#{pid}'], { encoding: 'utf8' });
  const [reported = '', pidText = ''] = info.status === 0 ? info.stdout.trim().split('\t') : [];
  spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  const pid = Number(pidText);
  if (pid > 0) {
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {} // gone already
  }
  const base = process.env.TMUX_TMPDIR || tmpdir();
  rmSync(reported || join(base, `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
}
