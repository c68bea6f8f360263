import type { ComponentLifecycle, ExitInfo, HealthResult, Instance } from '../../../src/plugins/types.js';

/** One fake generation: exits when told to, records when its stop was asked. */
export class FakeInstance implements Instance {
  readonly command: string;
  readonly exited: Promise<ExitInfo>;
  stopCalls = 0;
  private resolveExit!: (info: ExitInfo) => void;
  private over = false;

  constructor(
    readonly pid: number,
    private readonly owner: FakeLifecycle,
  ) {
    this.command = `fake ${pid}`;
    this.exited = new Promise<ExitInfo>((r) => (this.resolveExit = r));
  }

  get alive(): boolean {
    return !this.over;
  }

  /** Ends this generation on its own (a crash or a clean exit). */
  exit(info: ExitInfo): void {
    if (this.over) return;
    this.over = true;
    this.owner.alive--;
    this.resolveExit(info);
  }

  async stop(signal: NodeJS.Signals): Promise<ExitInfo> {
    this.stopCalls++;
    // Resolve on a later turn, as a real group stop does.
    await new Promise((r) => setTimeout(r, this.owner.stopDelayMs));
    this.exit(this.owner.ignoreStop ? { code: null, signal: 'SIGKILL', killed: true } : { code: null, signal });
    return this.exited;
  }

  pids(): number[] {
    return [this.pid];
  }
}

/** A lifecycle with no processes: counts generations and the most ever alive at once. */
export class FakeLifecycle implements ComponentLifecycle {
  instances: FakeInstance[] = [];
  alive = 0;
  maxAlive = 0;
  startError: Error | null = null;
  /** Every generation exits at once with this, when set (a crash loop). */
  exitAtOnce: ExitInfo | null = null;
  stopDelayMs = 1;
  ignoreStop = false;
  /** Makes `start` hang until released. */
  hangStart = false;
  healthResult: HealthResult | null = null;
  disposed = 0;
  private nextPid = 1000;

  async start(): Promise<Instance> {
    if (this.startError) throw this.startError;
    if (this.hangStart) await new Promise(() => {});
    const inst = new FakeInstance(this.nextPid++, this);
    this.instances.push(inst);
    this.alive++;
    this.maxAlive = Math.max(this.maxAlive, this.alive);
    if (this.exitAtOnce) {
      const info = this.exitAtOnce;
      queueMicrotask(() => inst.exit(info));
    }
    return inst;
  }

  async dispose(): Promise<void> {
    this.disposed++;
  }

  get last(): FakeInstance | undefined {
    return this.instances.at(-1);
  }
}

