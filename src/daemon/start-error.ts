import { CorralError } from '../errors.js';

/** Thrown when the daemon cannot start; `exitCode` is what the CLI exits with (2 for config/port problems). */
export class DaemonStartError extends CorralError {
  /** `exitCode` picks the catalogue's entry: 2 when the config or the environment must change (src/errors.ts). */
  constructor(message: string, exitCode: 1 | 2) {
    super(exitCode === 2 ? 'DMN002' : 'DMN001', [message]);
  }
}
