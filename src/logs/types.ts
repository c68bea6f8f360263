/** Which output stream a log line came from. */
export type LogStream = 'out' | 'err';

/**
 * Where a component's output goes: whole lines, each prefixed
 * `ISO_TIMESTAMP out|err ` in rotating, size-capped files.
 */
export interface LogSink {
  /** The current file (`<dir>/<name>.log`). */
  readonly path: string;
  /** Appends raw output. Incomplete lines wait for their end. Never blocks: drops (with a marker) when output comes faster than it is written. */
  write(stream: LogStream, chunk: string | Uint8Array): void;
  /** Ends any incomplete lines (a generation ended, so no continuation will come). */
  flush(): void;
  /** New rotation limits (a config reload's `logs:`), applied from the next line written. */
  setLimits?(limits: { maxSize?: number; maxFiles?: number }): void;
  /** Closes the file and opens `path` again before the next write (the file or its directory was deleted). */
  reopen?(): void;
  /** Flushes, waits for everything queued to be on disk, then closes the file. */
  close(): Promise<void>;
  /** Lines dropped so far because output came faster than it was written (or a write failed). */
  readonly dropped: number;
}

/** One parsed line of a log file. */
export interface LogLine {
  /** ISO timestamp, or '' when the line has no prefix. */
  time: string;
  stream: LogStream;
  text: string;
}
