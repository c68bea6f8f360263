import { statSync } from 'node:fs';

/**
 * Throws when `cwd` is not a directory, naming it: spawn would report a
 * missing cwd as `spawn PROGRAM ENOENT`, which blames the program. The error
 * keeps the OS code (`ENOENT`, `ENOTDIR`).
 */
export function checkCwd(cwd: string | undefined): void {
  if (cwd === undefined) return;
  let why: string | null = null;
  let code = 'ENOTDIR';
  try {
    if (!statSync(cwd).isDirectory()) why = 'is not a directory';
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code ?? 'ENOENT';
    why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a directory' : `cannot be used (${(err as Error).message})`;
  }
  if (why === null) return;
  const err = new Error(`cwd ${cwd} ${why}`) as NodeJS.ErrnoException;
  err.code = code;
  throw err;
}
