import type { LogSink } from '../logs/types.js';
import { runProcess } from '../runners/process/run-process.js';
import type { ProbeCheck } from './types.js';

const KEEP_OUTPUT = 4096;

export interface ExecProbeOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/**
 * Runs a command; ok on exit 0. A string runs through `/bin/sh -c` (as
 * Docker's HEALTHCHECK string form does: probes are one-liners such as
 * `test -f ready && curl -sf ...`); an argv array runs without a shell.
 * It runs as its own process group through the process runner, so a hung
 * probe is SIGKILLed with everything it started, and the check settles only
 * once that group is gone.
 */
export function execCheck(command: string | string[], opts: ExecProbeOptions = {}): ProbeCheck {
  return async (signal) => {
    let output = '';
    const capture: LogSink = {
      path: '',
      dropped: 0,
      write(_stream, chunk) {
        output = (output + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))).slice(-KEEP_OUTPUT);
      },
      flush() {},
      async close() {},
    };
    signal.throwIfAborted();
    const inst = await runProcess({
      name: 'health',
      command,
      shell: typeof command === 'string',
      cwd: opts.cwd,
      env: opts.env,
      logs: capture,
    });
    const onAbort = () => void inst.stop('SIGKILL', 0);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const info = await inst.exited;
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      const last = output.trim().split('\n').pop()?.slice(0, 200) ?? '';
      const how = info.code !== null ? `exit ${info.code}` : `killed by ${info.signal}`;
      return { ok: info.code === 0, detail: last ? `${how}: ${last}` : how };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}
