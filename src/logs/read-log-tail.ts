import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { logFileName, parseLogLine } from './format.js';
import type { LogLine } from './types.js';

const BLOCK = 64 * 1024;

/**
 * The last `n` lines of a component's log, oldest first, reaching into the
 * rotated files (`.1`, `.2`...) when the current one holds fewer. Reads
 * backwards in blocks, so a big file costs only what is shown.
 */
export function readLogTail(dir: string, name: string, n: number): LogLine[] {
  const lines: string[] = [];
  for (let index = 0; lines.length < n; index++) {
    const path = join(dir, logFileName(name, index));
    if (!existsSync(path)) {
      if (index === 0) continue;
      break;
    }
    const older = readLastLines(path, n - lines.length);
    lines.unshift(...older);
  }
  return lines.map(parseLogLine);
}

/** The last `n` complete lines of one file (a trailing partial line counts as one). */
export function readLastLines(path: string, n: number): string[] {
  if (n <= 0) return [];
  const fd = openSync(path, 'r');
  try {
    let pos = fstatSync(fd).size;
    let text = '';
    let buffered = Buffer.alloc(0);
    // Count newlines until there are n+1 of them (or the start of the file is reached).
    while (pos > 0) {
      const len = Math.min(BLOCK, pos);
      pos -= len;
      const block = Buffer.alloc(len);
      readSync(fd, block, 0, len, pos);
      buffered = Buffer.concat([block, buffered]);
      let count = 0;
      for (const byte of buffered) if (byte === 0x0a) count++;
      if (count > n) break;
    }
    text = buffered.toString('utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    // When the read stopped mid-file, the first piece is a fragment of an older line.
    if (pos > 0) lines.shift();
    return lines.slice(-n);
  } finally {
    closeSync(fd);
  }
}

/** Names of the components that have a log file in `dir` (`X.log` → `X`), sorted. */
export function listLogNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => f.slice(0, -'.log'.length))
      .sort();
  } catch {
    return [];
  }
}
