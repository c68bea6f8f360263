import type { ComponentLifecycle, Instance } from '../runners/types.js';
import { abortable, abortedBy } from '../util/abort.js';
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
  const deadline = AbortSignal.timeout(limitMs);
  try {
    return await abortable(started, deadline);
  } catch (err) {
    if (!abortedBy(err, deadline)) throw err;
    started.then((late) => late.stop('SIGKILL', 0)).catch(() => {});
    throw new StartTimeoutError(limitMs);
  }
}
