import { spawn, type ChildProcess } from 'node:child_process';
import { createControlParser, type ControlNotification } from './control-parser.js';
import { defaultTmuxSocket } from './tmux-command.js';

export { parseNotification, createControlParser, type ControlNotification, type ControlReply } from './control-parser.js';

/** A running control-mode client. */
export interface ControlClient {
  /** Settles when the client has ended (the session went away, the server died, or `close`). */
  readonly closed: Promise<{ reason: string | null }>;
  /** Sends one tmux command line on the control channel. */
  send(command: string): void;
  /** Ends the client (detaches; the session is untouched). */
  close(): void;
}

export interface ControlClientOptions {
  socket?: string;
  session: string;
  onNotification(n: ControlNotification): void;
  /** Called once when the client is attached (the first `%session-changed`). */
  onReady?(): void;
}

/**
 * Attaches a control-mode client (`tmux -L socket -C attach -t =session`).
 * stdin stays open (tmux ends a control client on EOF); `%output` is turned
 * off once attached so a busy pane does not flood corral.
 */
export function startControlClient(opts: ControlClientOptions): ControlClient {
  const socket = opts.socket ?? defaultTmuxSocket();
  const child: ChildProcess = spawn('tmux', ['-L', socket, '-C', 'attach-session', '-t', `=${opts.session}`], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let exitReason: string | null = null;
  let ready = false;
  const parse = createControlParser({
    notification(n) {
      if (n.kind === 'session-changed' && !ready) {
        ready = true;
        send('refresh-client -f no-output');
        opts.onReady?.();
      }
      if (n.kind === 'exit') {
        exitReason = n.reason ?? 'exit';
        // tmux is done with this client: let it go rather than wait for our stdin.
        child.stdin!.end();
      }
      opts.onNotification(n);
    },
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => parse(chunk));
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  // Writes after tmux has gone fail with EPIPE; the close promise reports the end.
  child.stdin!.on('error', () => {});

  const closed = new Promise<{ reason: string | null }>((resolve) => {
    child.once('error', (err) => resolve({ reason: `tmux control client failed: ${err.message}` }));
    child.once('close', () => resolve({ reason: exitReason ?? (stderr.trim() || null) }));
  });

  function send(command: string): void {
    if (child.stdin!.writable) child.stdin!.write(`${command}\n`);
  }
  return {
    closed,
    send,
    close() {
      // Closing stdin detaches the control client cleanly; the kill is a fallback if tmux hangs.
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      timer.unref();
      void closed.then(() => clearTimeout(timer));
    },
  };
}
