import { exitCodeOf } from '../errors.js';

/** Runs a command body and turns a failure into its message and the exit code the catalogue gives it (src/errors.ts). */
export async function runCommand(body: () => Promise<number>, name = process.argv[2] ?? 'corral'): Promise<number> {
  try {
    return await body();
  } catch (err) {
    process.stderr.write(`corral ${name}: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
}
