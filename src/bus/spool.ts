import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { PublishResult } from './types.js';
import { hookToEvent } from './hook-event.js';

/** One spooled hook: the hook name, when it was received, and Claude Code's body (secrets masked). */
export interface SpoolRecord {
  /**
   * The event id `corral hook` chose and also sent with its POST: when that
   * POST was stored after all (it outlived the hook's budget), the replay's
   * copy has the same id and the store keeps one.
   */
  id?: string;
  hook_event_name: string;
  received_at: number;
  /**
   * The daemon URL the hook was meant for (`CORRAL_URL`, else the default):
   * a daemon replays the shared spool only for its own address. Lines
   * written before it was recorded count as meant for the default.
   */
  url?: string;
  body: unknown;
}

/** Where `corral hook` sends without a config and without `CORRAL_URL`. */
export const DEFAULT_DAEMON_URL = 'http://127.0.0.1:4000';

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
  /** Lines dropped unread for their age (`maxAgeMs`), whoever they were meant for. */
  expired: number;
}

/** Options of a spool replay. */
export interface SpoolReplayOptions {
  /** Lines received longer ago than this are dropped (the shared spool would otherwise keep forever the hooks of an address where no corral runs). */
  maxAgeMs?: number;
  now?: () => number;
  /** The event type to store a hook under (as `POST /hooks/EVENT` decides it), or why it is refused. */
  resolveName?: (name: string, body: unknown) => { ok: true; name: string } | { ok: false; error: string };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SPOOL_FILE = /\.jsonl(\.replaying-\d+)?$/;
const REPLAYING = /\.replaying-(\d+)$/;

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
  const record: SpoolRecord = { hook_event_name: r.hook_event_name, received_at: received ?? Date.now(), body: r.body ?? {} };
  if (typeof r.url === 'string') record.url = r.url;
  if (typeof r.id === 'string' && UUID_RE.test(r.id)) record.id = r.id;
  return record;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * Whether a spooled hook's URL is the bus at `host:port` (what a daemon binds):
 * same port, and the same host, where localhost, 127.x and ::1 are one, and a
 * daemon bound to every address (0.0.0.0, ::) is reached through them too.
 */
export function spoolTargets(url: string | undefined, host: string, port: number): boolean {
  let target: URL;
  try {
    target = new URL(url ?? DEFAULT_DAEMON_URL);
  } catch {
    return false;
  }
  const targetPort = target.port ? Number(target.port) : target.protocol === 'https:' || target.protocol === 'wss:' ? 443 : 80;
  if (targetPort !== port) return false;
  const bare = (h: string) => h.replace(/^\[|\]$/g, '').toLowerCase();
  const want = bare(target.hostname);
  const own = bare(host);
  if (want === own) return true;
  return isLoopback(want) && (isLoopback(own) || own === '0.0.0.0' || own === '::');
}

/** A `.replaying-PID` file whose replaying process still runs belongs to it (another daemon replaying the shared spool). */
function heldByOther(name: string): boolean {
  const pid = Number(REPLAYING.exec(name)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Publishes every spooled hook as the HookEvent the route would have made
 * (with the time it was received), waits for the store to commit them, then
 * removes the file. A file is renamed before it is read, so a hook spooling at
 * the same moment starts a new file instead of losing its line. Lines that
 * cannot be replayed are skipped and reported; they never stop the replay.
 * Hooks `accept` refuses (meant for another daemon) stay in the spool, unless
 * older than `maxAgeMs`: those are dropped and counted.
 */
export async function replaySpool(
  dir: string,
  publish: (input: unknown) => PublishResult,
  accept: (record: SpoolRecord) => boolean = () => true,
  options: SpoolReplayOptions = {},
): Promise<SpoolReplay> {
  const result: SpoolReplay = { replayed: 0, skipped: [], expired: 0 };
  const oldest = options.maxAgeMs !== undefined ? (options.now ?? Date.now)() - options.maxAgeMs : -Infinity;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => SPOOL_FILE.test(n)).sort();
  } catch {
    return result;
  }
  for (const name of names) {
    let file = join(dir, name);
    if (heldByOther(name)) continue;
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
    const kept: string[] = [];
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      const record = parseRecord(text);
      if (typeof record === 'string') {
        result.skipped.push({ file: name, line: i + 1, reason: record });
        return;
      }
      if (record.received_at < oldest) {
        result.expired++;
        return;
      }
      if (!accept(record)) {
        kept.push(`${text}\n`);
        return;
      }
      const resolved = options.resolveName?.(record.hook_event_name, record.body) ?? { ok: true, name: record.hook_event_name };
      if (!resolved.ok) {
        result.skipped.push({ file: name, line: i + 1, reason: resolved.error });
        return;
      }
      const published = publish(hookToEvent(resolved.name, record.body, record.received_at, record.id));
      if (!published.ok) {
        result.skipped.push({ file: name, line: i + 1, reason: published.error.error_message });
        return;
      }
      stored.push(published.stored);
      result.replayed++;
    });
    await Promise.all(stored);
    // Back under the file's own name, appended in one write as a hook appends its line.
    if (kept.length > 0) appendFileSync(join(dir, name.replace(REPLAYING, '')), kept.join(''), { mode: 0o600 });
    unlinkSync(file);
  }
  return result;
}
