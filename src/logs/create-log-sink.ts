import { StringDecoder } from 'node:string_decoder';
import { formatLogLine } from './format.js';
import type { LogLoad } from './load.js';
import { createLogFile } from './log-file.js';
import type { LogSink, LogStream } from './types.js';
import { createWriteQueue } from './write-queue.js';

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

/**
 * Creates a rotating, size-capped log file for one component (or the daemon),
 * opened and rotated by src/logs/log-file.ts. Writes are queued and done
 * asynchronously (src/logs/write-queue.ts); the child's pipe is read at its
 * own pace and never waits for the disk. When the queue passes `highWater`
 * (output comes faster than it is written) lines are dropped, and one marker
 * line says how many: with the next line kept, or once the backlog is written.
 */
export function createLogSink(opts: LogSinkOptions): LogSink {
  const partialFlushMs = opts.partialFlushMs ?? 1000;
  const maxLine = opts.maxLine ?? 64 * 1024;
  const now = opts.now ?? (() => new Date());
  const load = opts.load;
  const file = createLogFile(opts.dir, opts.name, opts.maxSize ?? 10 * 1024 * 1024, opts.maxFiles ?? 3);
  const queue = createWriteQueue(file, opts.highWater ?? 4 * 1024 * 1024, now);

  const decoders: Record<LogStream, StringDecoder> = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
  const partial: Record<LogStream, string> = { out: '', err: '' };
  let partialTimer: NodeJS.Timeout | null = null;

  const emitLine = (stream: LogStream, text: string) => {
    const clean = text.endsWith('\r') ? text.slice(0, -1) : text;
    for (let i = 0; i < clean.length || i === 0; i += maxLine) {
      queue.enqueue(formatLogLine(now(), stream, clean.slice(i, i + maxLine)));
    }
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
    path: file.path,
    get dropped() {
      return queue.dropped;
    },
    write(stream, chunk) {
      if (queue.closed) return;
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
      if (limits.maxSize !== undefined) file.maxSize = limits.maxSize;
      if (limits.maxFiles !== undefined) file.maxFiles = limits.maxFiles;
      // A file already past the new cap rotates with the next line written.
    },
    reopen() {
      queue.reopen();
    },
    async close() {
      if (queue.closed) return;
      flushPartials();
      await queue.close();
    },
  };
}
