/** One cleanup: what it releases (named in the log line when it fails) and how. */
export interface Disposer {
  what: string;
  run: () => unknown;
}

/**
 * Cleanups run last in first out, like a stack of acquired resources: whatever
 * was acquired after a resource (and may use it) is released before it. A
 * cleanup that throws is reported and the next one still runs. Used by the
 * daemon (build, serve, shutdown) and by each plugin's context.
 */
export class DisposerStack {
  private readonly stack: Disposer[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly onError: (what: string, err: unknown) => void) {}

  /** Adds a cleanup; it runs before every one pushed earlier. */
  push(d: Disposer): void {
    this.stack.push(d);
  }

  get size(): number {
    return this.stack.length;
  }

  /** Runs every cleanup, newest first; a second call waits for the first. */
  dispose(): Promise<void> {
    this.running ??= (async () => {
      while (this.stack.length > 0) {
        const d = this.stack.pop()!;
        try {
          await d.run();
        } catch (err) {
          this.onError(d.what, err);
        }
      }
      this.running = null;
    })();
    return this.running;
  }
}
