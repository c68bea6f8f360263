import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The program a command runs: the first word of a command line, or the first element of an argv. */
export function programOf(command: string | string[]): string {
  if (Array.isArray(command)) return command[0] ?? '';
  const match = /^\s*(?:"([^"]*)"|'([^']*)'|(\S+))/.exec(command);
  return match ? (match[1] ?? match[2] ?? match[3] ?? '') : '';
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `program` would be found: a path (absolute, or relative to `cwd`) is
 * checked as is; a bare name is looked up in PATH. Returns null when missing.
 */
export function findExecutable(program: string, pathVar: string | undefined, cwd: string): string | null {
  if (!program) return null;
  if (program.includes('/')) {
    const full = isAbsolute(program) ? program : resolve(cwd, program);
    return isExecutable(full) ? full : null;
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}
