import { mkdirSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { formatLogLine, logFileName } from './format.js';
import type { LogLoad } from './load.js';
import type { LogSink, LogStream } from './types.js';

export interface LogSinkOptions {
  dir: string;
  /** Component name; the file is `<dir>/<name>.log`. */
  name: string;
  /** Size at which the file rotates, in bytes (default 10 MiB). */
  maxSize?: number;
  /**
   * Files kept, the current one included (default 3: `X.log`, `X.log.1`,
   * `X.log.2`; `.1` is the newest rotated). 1 keeps the current file alone.
   */
  maxFiles?: number;
  /** Bytes queued in memory beyond which new lines are dropped (default 4 MiB). */
  highWater?: number;
  /** An incomplete line is written as it is after this long without its end (default 1000 ms). */
  partialFlushMs?: number;
  /** Longest line kept whole; longer ones are split (default 64 KiB). */
  maxLine?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /** Where the sink counts the output it is handed (the daemon's log load, read by its adaptive JIT). */
  load?: LogLoad;
}

const BATCH = 64 * 1024;

/**
 * Creates a rotating, size-capped log file for one component (or the daemon).
 * Writes are queued and done asynchronously; the child's pipe is read at its
 * own pace and never waits for the disk. When the queue passes `highWater`
 * (output comes faster than it is written) lines are dropped, and one marker
 * line says how many: with the next line kept, or once the backlog is written.
 */
export function createLogSink(opts: LogSinkOptions): LogSink {
  let maxSize = opts.maxSize ?? 10 * 1024 * 1024;
  let maxFiles = opts.maxFiles ?? 3;
  const highWater = opts.highWater ?? 4 * 1024 * 1024;
  const backlog = highWater % (1024 * 1024) === 0 ? `${highWater / (1024 * 1024)} MiB` : `${highWater} bytes`;
  const partialFlushMs = opts.partialFlushMs ?? 1000;
  const maxLine = opts.maxLine ?? 64 * 1024;
  const now = opts.now ?? (() => new Date());
  const load = opts.load;
  const path = join(opts.dir, logFileName(opts.name));

  const decoders: Record<LogStream, StringDecoder> = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
  const partial: Record<LogStream, string> = { out: '', err: '' };
  let queue: string[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  // Since the last marker: lines dropped at the high-water mark, and lines lost to failed writes.
  let droppedSinceMarker = 0;
  let lostSinceMarker = 0;
  let handle: FileHandle | null = null;
  let size = 0;
  let draining: Promise<void> | null = null;
  let partialTimer: NodeJS.Timeout | null = null;
  let closed = false;
  // Set by reopen(): the file was deleted (its state directory removed), so the next write opens it anew.
  let reopenWanted = false;

  const enqueue = (line: string) => {
    if (closed) return;
    const bytes = Buffer.byteLength(line);
    if (queuedBytes + bytes > highWater) {
      dropped++;
      droppedSinceMarker++;
      return;
    }
    if (droppedSinceMarker + lostSinceMarker > 0) pushMarker();
    queue.push(line);
    queuedBytes += bytes;
    kick();
  };

  // The marker goes where the dropped lines would have been, and is never itself dropped.
  const pushMarker = () => {
    const texts: string[] = [];
    if (droppedSinceMarker > 0) texts.push(`[corral] ${droppedSinceMarker} line(s) dropped: output came faster than corral could write it (${backlog} backlog)`);
    if (lostSinceMarker > 0) texts.push(`[corral] ${lostSinceMarker} line(s) lost: the log file could not be written`);
    droppedSinceMarker = 0;
    lostSinceMarker = 0;
    for (const text of texts) {
      const marker = formatLogLine(now(), 'err', text);
      queue.push(marker);
      queuedBytes += Buffer.byteLength(marker);
    }
  };

  const emitLine = (stream: LogStream, text: string) => {
    const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
    for (let i = 0; i < clean.length || i === 0; i += maxLine) {
      enqueue(formatLogLine(now(), stream, clean.slice(i, i + maxLine)));
    }
  };

  const kick = () => {
    if (draining) return;
    draining = drain().finally(() => {
      draining = null;
      // Lines dropped at the high-water mark with none kept since: say so once the backlog is
      // written, not at some later line. (Not for failed writes: those would fail again.)
      if (droppedSinceMarker > 0 && !closed) pushMarker();
      // Lines queued between the drain's last check and its end.
      if (queue.length > 0) kick();
    });
  };

  const drain = async () => {
    try {
      if (reopenWanted) {
        reopenWanted = false;
        await handle?.close().catch(() => {});
        handle = null;
      }
      if (!handle) await openFile();
      while (queue.length > 0) {
        // Take lines up to a batch, stopping where the file would pass its cap.
        let batch = '';
        let batchBytes = 0;
        let rotateAfter = false;
        let taken = 0;
        while (taken < queue.length) {
          const line = queue[taken]!;
          const bytes = Buffer.byteLength(line);
          if (size + batchBytes + bytes > maxSize && size + batchBytes > 0) {
            rotateAfter = true;
            break;
          }
          if (batchBytes > 0 && batchBytes + bytes > BATCH) break;
          taken++;
          queuedBytes -= bytes;
          batch += line;
          batchBytes += bytes;
        }
        // One splice a batch: shift() a line at a time moves the whole backlog each time once the
        // array is large (a full 4 MiB queue is ~30,000 lines), which made the drain, not the disk, the
        // bottleneck in a flood (~2 MB/s written).
        queue.splice(0, taken);
        if (batchBytes > 0) {
          try {
            await handle!.write(batch);
            size += batchBytes;
          } catch {
            // Disk full or file gone: count the loss, keep the component running.
            const lost = batch.split('\n').length - 1;
            dropped += lost;
            lostSinceMarker += lost;
          }
        }
        if (rotateAfter) await rotate();
      }
    } catch {
      // Could not open the file at all: drop what is queued rather than grow memory.
      dropped += queue.length;
      lostSinceMarker += queue.length;
      queue = [];
      queuedBytes = 0;
    }
  };

  const openFile = async () => {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    handle = await open(path, 'a', 0o600);
    const st = await handle.stat();
    size = st.size;
    // A file made before (or by another umask) may be readable by others: logs carry whatever components print.
    if ((st.mode & 0o777) !== 0o600) await handle.chmod(0o600).catch(() => {});
  };

  const rotate = async () => {
    await handle?.close();
    handle = null;
    const rotated = maxFiles - 1;
    if (rotated <= 0) {
      await unlink(path).catch(() => {});
    } else {
      await unlink(join(opts.dir, logFileName(opts.name, rotated))).catch(() => {});
      for (let i = rotated - 1; i >= 1; i--) {
        await rename(join(opts.dir, logFileName(opts.name, i)), join(opts.dir, logFileName(opts.name, i + 1))).catch(() => {});
      }
      await rename(path, join(opts.dir, logFileName(opts.name, 1))).catch(() => {});
    }
    await openFile();
  };

  const flushPartials = () => {
    if (partialTimer) clearTimeout(partialTimer);
    partialTimer = null;
    for (const stream of ['out', 'err'] as const) {
      const rest = partial[stream] + decoders[stream].end();
      decoders[stream] = new StringDecoder('utf8');
      partial[stream] = '';
      if (rest.length > 0) emitLine(stream, rest);
    }
  };

  return {
    path,
    get dropped() {
      return dropped;
    },
    write(stream, chunk) {
      if (closed) return;
      load?.add(typeof chunk === 'string' ? chunk.length : chunk.byteLength);
      const text = partial[stream] + (typeof chunk === 'string' ? chunk : decoders[stream].write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
      const lines = text.split('\n');
      let rest = lines.pop()!;
      for (const line of lines) emitLine(stream, line);
      // A line that never ends must not grow without bound.
      while (rest.length >= maxLine) {
        emitLine(stream, rest.slice(0, maxLine));
        rest = rest.slice(maxLine);
      }
      partial[stream] = rest;
      if (rest.length > 0 && !partialTimer) {
        partialTimer = setTimeout(flushPartials, partialFlushMs);
        partialTimer.unref();
      }
    },
    flush: flushPartials,
    setLimits(limits) {
      if (limits.maxSize !== undefined) maxSize = limits.maxSize;
      if (limits.maxFiles !== undefined) maxFiles = limits.maxFiles;
      // A file already past the new cap rotates with the next line written.
    },
    reopen() {
      reopenWanted = true;
      if (!closed && !draining && queue.length > 0) kick();
    },
    async close() {
      if (closed) return;
      flushPartials();
      if (droppedSinceMarker + lostSinceMarker > 0) {
        pushMarker();
        kick();
      }
      closed = true;
      while (draining) await draining;
      await handle?.close();
      handle = null;
    },
  };
}
