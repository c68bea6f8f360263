/**
 * Settles as `promise` does, or rejects with `signal.reason` if the signal
 * aborts first (a `DOMException` named `TimeoutError` for
 * `AbortSignal.timeout(ms)`). The listener is removed either way, so a
 * long-lived signal does not collect one per call. `promise` keeps running:
 * the caller decides what to do with a late result.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Whether `err` is the reason `signal` aborted with (its timeout, or whoever aborted it). */
export function abortedBy(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted && err === signal.reason;
}
