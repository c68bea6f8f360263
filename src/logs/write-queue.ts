import { formatLogLine } from './format.js';
import type { LogFile } from './log-file.js';

const BATCH = 64 * 1024;

/** The in-memory queue of a log sink (src/logs/create-log-sink.ts): lines waiting to be written, drops and their markers. */
export interface WriteQueue {
  /** Lines dropped so far (high-water mark or failed writes). */
  readonly dropped: number;
  readonly closed: boolean;
  /** Queues one formatted line, or drops it past the high-water mark. */
  enqueue(line: string): void;
  /** The file was deleted: reopen it before the next write. */
  reopen(): void;
  /** Writes any pending marker, waits for the queue to be on disk, then closes the file. */
  close(): Promise<void>;
}

/** Lines taken from the head of the queue for one write. */
interface Batch {
  text: string;
  bytes: number;
  taken: number;
  /** The next line would take the file past its cap. */
  rotateAfter: boolean;
}

/** Takes lines up to a batch, stopping where the file would pass its cap. */
function takeBatch(queue: readonly string[], size: number, maxSize: number): Batch {
  let text = '';
  let bytes = 0;
  let taken = 0;
  while (taken < queue.length) {
    const line = queue[taken]!;
    const lineBytes = Buffer.byteLength(line);
    if (size + bytes + lineBytes > maxSize && size + bytes > 0) return { text, bytes, taken, rotateAfter: true };
    if (bytes > 0 && bytes + lineBytes > BATCH) break;
    taken++;
    text += line;
    bytes += lineBytes;
  }
  return { text, bytes, taken, rotateAfter: false };
}

/**
 * Writes are queued and done asynchronously. When the queue passes `highWater`
 * lines are dropped, and one marker line says how many: with the next line
 * kept, or once the backlog is written.
 */
export function createWriteQueue(file: LogFile, highWater: number, now: () => Date): WriteQueue {
  const backlog = highWater % (1024 * 1024) === 0 ? `${highWater / (1024 * 1024)} MiB` : `${highWater} bytes`;
  let queue: string[] = [];
  let queuedBytes = 0;
  let dropped = 0;
  // Since the last marker: lines dropped at the high-water mark, and lines lost to failed writes.
  let droppedSinceMarker = 0;
  let lostSinceMarker = 0;
  let draining: Promise<void> | null = null;
  let closed = false;

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
      await file.ensureOpen();
      while (queue.length > 0) {
        const batch = takeBatch(queue, file.size, file.maxSize);
        queuedBytes -= batch.bytes;
        // One splice a batch: shift() a line at a time moves the whole backlog each time once the
        // array is large (a full 4 MiB queue is ~30,000 lines), which made the drain, not the disk, the
        // bottleneck in a flood (~2 MB/s written).
        queue.splice(0, batch.taken);
        if (batch.bytes > 0) {
          try {
            await file.write(batch.text, batch.bytes);
          } catch {
            // Disk full or file gone: count the loss, keep the component running.
            const lost = batch.text.split('\n').length - 1;
            dropped += lost;
            lostSinceMarker += lost;
          }
        }
        if (batch.rotateAfter) await file.rotate();
      }
    } catch {
      // Could not open the file at all: drop what is queued rather than grow memory.
      dropped += queue.length;
      lostSinceMarker += queue.length;
      queue = [];
      queuedBytes = 0;
    }
  };

  return {
    get dropped() {
      return dropped;
    },
    get closed() {
      return closed;
    },
    enqueue(line) {
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
    },
    reopen() {
      file.reopen();
      if (!closed && !draining && queue.length > 0) kick();
    },
    async close() {
      if (droppedSinceMarker + lostSinceMarker > 0) {
        pushMarker();
        kick();
      }
      closed = true;
      while (draining) await draining;
      await file.close();
    },
  };
}
