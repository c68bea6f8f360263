import { UsageError } from './args.js';
import { DaemonNotRunningError, StateDirConflictError } from './daemon-client.js';

/** Runs a command body and turns the usual failures into a message and an exit code (usage and a state dir held by another config 2, no daemon 1). */
export async function runCommand(body: () => Promise<number>, name = process.argv[2] ?? 'corral'): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError || err instanceof StateDirConflictError) {
      process.stderr.write(`corral ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DaemonNotRunningError) {
      process.stderr.write(`corral ${name}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`corral ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
