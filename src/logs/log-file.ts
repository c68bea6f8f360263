import { mkdirSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { logFileName } from './format.js';

/** The file a log sink writes (src/logs/create-log-sink.ts): opening, the size written, rotation. */
export interface LogFile {
  readonly path: string;
  /** Bytes in the current file. */
  readonly size: number;
  /** Size at which the file rotates, in bytes. */
  maxSize: number;
  /** Files kept, the current one included. */
  maxFiles: number;
  /** Opens the file if it is not open (closing it first when reopen() asked for it). Throws when it cannot be opened. */
  ensureOpen(): Promise<void>;
  /** Appends a batch to the open file. Throws when the write fails (the size is then unchanged). */
  write(batch: string, bytes: number): Promise<void>;
  /** Shifts `X.log` → `X.log.1` → … (dropping the oldest) and opens a new `X.log`. */
  rotate(): Promise<void>;
  /** The file was deleted (its state directory removed): the next ensureOpen() opens it anew. */
  reopen(): void;
  close(): Promise<void>;
}

export function createLogFile(dir: string, name: string, maxSize: number, maxFiles: number): LogFile {
  const path = join(dir, logFileName(name));
  let handle: FileHandle | null = null;
  let size = 0;
  // Set by reopen(): the file was deleted (its state directory removed), so the next write opens it anew.
  let reopenWanted = false;

  const openFile = async () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    handle = await open(path, 'a', 0o600);
    const st = await handle.stat();
    size = st.size;
    // A file made before (or by another umask) may be readable by others: logs carry whatever components print.
    if ((st.mode & 0o777) !== 0o600) await handle.chmod(0o600).catch(() => {});
  };

  const file: LogFile = {
    path,
    get size() {
      return size;
    },
    maxSize,
    maxFiles,
    async ensureOpen() {
      if (reopenWanted) {
        reopenWanted = false;
        await handle?.close().catch(() => {});
        handle = null;
      }
      if (!handle) await openFile();
    },
    async write(batch, bytes) {
      await handle!.write(batch);
      size += bytes;
    },
    async rotate() {
      await handle?.close();
      handle = null;
      const rotated = file.maxFiles - 1;
      if (rotated <= 0) {
        await unlink(path).catch(() => {});
      } else {
        await unlink(join(dir, logFileName(name, rotated))).catch(() => {});
        for (let i = rotated - 1; i >= 1; i--) {
          await rename(join(dir, logFileName(name, i)), join(dir, logFileName(name, i + 1))).catch(() => {});
        }
        await rename(path, join(dir, logFileName(name, 1))).catch(() => {});
      }
      await openFile();
    },
    reopen() {
      reopenWanted = true;
    },
    async close() {
      await handle?.close();
      handle = null;
    },
  };
  return file;
}
