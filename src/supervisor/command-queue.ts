/**
 * Runs commands one at a time, in the order they were given. A failing
 * command rejects its own promise and does not stop the ones after it.
 */
export class CommandQueue {
  private tail: Promise<void> = Promise.resolve();
  private readonly waiting = new Map<string, Promise<void>>();

  /** `check` runs before each command and may throw to refuse it (e.g. a removed component). */
  constructor(private readonly check: () => void = () => {}) {}

  run(command: () => Promise<void>): Promise<void> {
    const result = this.tail.then(() => {
      this.check();
      return command();
    });
    this.tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  /**
   * Like `run`, but a call made while a command of the same kind is still
   * waiting its turn joins that one: fifty restart requests that arrive
   * together make one restart, not fifty.
   */
  coalesce(kind: string, command: () => Promise<void>): Promise<void> {
    const queued = this.waiting.get(kind);
    if (queued) return queued;
    const result = this.run(() => {
      this.waiting.delete(kind);
      return command();
    });
    this.waiting.set(kind, result);
    // A refused command (check threw) never ran its body: forget it anyway.
    result.catch(() => {}).finally(() => {
      if (this.waiting.get(kind) === result) this.waiting.delete(kind);
    });
    return result;
  }

  /** Resolves once every command given so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}
