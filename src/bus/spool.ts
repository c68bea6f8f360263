import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PublishResult } from './types.js';
import { hookToEvent } from './hook-event.js';

/** One spooled hook: the hook name, when it was received, and Claude Code's body as sent. */
export interface SpoolRecord {
  hook_event_name: string;
  received_at: number;
  body: unknown;
}

/** A spool line that could not be replayed. */
export interface SpoolSkip {
  file: string;
  line: number;
  reason: string;
}

/** Result of a spool replay. */
export interface SpoolReplay {
  replayed: number;
  skipped: SpoolSkip[];
}

const SPOOL_FILE = /\.jsonl(\.replaying-\d+)?$/;

/**
 * Appends one hook to the spool directory: one JSON line, in one write to a
 * file opened for append, so concurrent hook processes do not mix their lines.
 */
export function spoolHook(dir: string, record: SpoolRecord): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const day = new Date(record.received_at).toISOString().slice(0, 10).replaceAll('-', '');
  const file = join(dir, `hooks-${day}.jsonl`);
  appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return file;
}

function parseRecord(text: string): SpoolRecord | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (value === null || typeof value !== 'object') return 'not a JSON object';
  const r = value as Partial<SpoolRecord>;
  if (typeof r.hook_event_name !== 'string' || r.hook_event_name === '') return 'no hook_event_name';
  const received = typeof r.received_at === 'number' && r.received_at >= 0 ? r.received_at : undefined;
  return { hook_event_name: r.hook_event_name, received_at: received ?? Date.now(), body: r.body ?? {} };
}

/**
 * Publishes every spooled hook as the HookEvent the route would have made
 * (with the time it was received), waits for the store to commit them, then
 * removes the file. A file is renamed before it is read, so a hook spooling at
 * the same moment starts a new file instead of losing its line. Lines that
 * cannot be replayed are skipped and reported; they never stop the replay.
 */
export async function replaySpool(dir: string, publish: (input: unknown) => PublishResult): Promise<SpoolReplay> {
  const result: SpoolReplay = { replayed: 0, skipped: [] };
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => SPOOL_FILE.test(n)).sort();
  } catch {
    return result;
  }
  for (const name of names) {
    let file = join(dir, name);
    if (!name.includes('.replaying-')) {
      const moved = `${file}.replaying-${process.pid}`;
      try {
        renameSync(file, moved);
      } catch {
        continue;
      }
      file = moved;
    }
    const stored: Promise<void>[] = [];
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      const record = parseRecord(text);
      if (typeof record === 'string') {
        result.skipped.push({ file: name, line: i + 1, reason: record });
        return;
      }
      const published = publish(hookToEvent(record.hook_event_name, record.body, record.received_at));
      if (!published.ok) {
        result.skipped.push({ file: name, line: i + 1, reason: published.error.error_message });
        return;
      }
      stored.push(published.stored);
      result.replayed++;
    });
    await Promise.all(stored);
    unlinkSync(file);
  }
  return result;
}
