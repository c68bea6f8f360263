import type { AttachInfo, ExitInfo, Instance } from '../runners/types.js';

/** An Instance with no process of its own, and the way its plugin ends it. */
export interface ProcesslessInstance extends Instance {
  /** Ends this generation on the plugin's own account (`{ code: 1, signal: null }` reads as a crash); later calls do nothing. */
  end(info?: ExitInfo): void;
}

/**
 * A generation with no process: for a plugin whose component only listens to
 * the bus, watches a file, or holds a connection. `pid` is null and there is
 * nothing to sample; `stop` ends it at once with code 0, so the supervisor
 * sees an ordinary stop, and `end` lets the plugin end it itself (restarted
 * per the component's restart policy like any exit).
 */
export function processlessInstance(command: string, opts: { attach?: AttachInfo } = {}): ProcesslessInstance {
  let finish!: (info: ExitInfo) => void;
  let ended = false;
  const exited = new Promise<ExitInfo>((resolve) => (finish = resolve));
  const end = (info: ExitInfo = { code: 0, signal: null }) => {
    if (ended) return;
    ended = true;
    finish(info);
  };
  return {
    pid: null,
    command,
    exited,
    async stop() {
      end();
      return exited;
    },
    end,
    pids: () => [],
    ...(opts.attach ? { attach: opts.attach } : {}),
  };
}
