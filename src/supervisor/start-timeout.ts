import type { ComponentLifecycle, Instance } from '../plugins/types.js';
import { CorralError } from '../errors.js';

/** A lifecycle's start that did not finish within `start_timeout` (CMP001). */
export class StartTimeoutError extends CorralError {
  constructor(readonly limitMs: number) {
    super('CMP005', [limitMs]);
  }
}

/** Runs `lifecycle.start()` bounded by `limitMs`; an instance that arrives late is killed at once. */
export async function startWithTimeout(lifecycle: ComponentLifecycle, limitMs: number): Promise<Instance> {
  const started = lifecycle.start();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), limitMs)));
  try {
    const result = await Promise.race([started, timeout]);
    if (result) return result;
  } finally {
    clearTimeout(timer);
  }
  started.then((late) => late.stop('SIGKILL', 0)).catch(() => {});
  throw new StartTimeoutError(limitMs);
}
