/** Thrown when the daemon cannot start; `exitCode` is what the CLI exits with (2 for config/port problems). */
export class DaemonStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'DaemonStartError';
  }
}
