import { backoffDelay, DEFAULT_BACKOFF } from '../client/backoff.js';
import { createClient } from '../client/client.js';
import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';
import { noWords, parseArgs, UsageError, useColor } from './args.js';
import { apiRequest, busClientTarget, DaemonNotRunningError, findDaemon, type DaemonTarget } from './daemon-client.js';
import { formatEventLine } from './event-line.js';
import { openOfflineHistory, type HistoryPage, type PageSource } from './events-offline.js';
import { statePaths } from '../daemon/paths.js';
import { commandUsage, usageLine } from './main.js';
import { parseTimeArg } from './time-arg.js';
import { CorralError, exitCodeOf } from '../errors.js';

const USAGE = usageLine('events');


/** Thrown for an answer of the daemon that is not a page of history. */
class HistoryError extends CorralError {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(usage ? 'CLI005' : 'CLI004', [message]);
  }
}

function filterQuery(filter: EventFilter, extra: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...extra })) if (v !== undefined && v !== '') q.set(k, String(v));
  return `/events?${q.toString()}`;
}

/** Pages of history from the daemon's `GET /events`. */
function daemonPages(target: DaemonTarget): PageSource {
  return (filter, q) => fetchPage(target, filterQuery(filter, q));
}

async function fetchPage(target: DaemonTarget, path: string): Promise<HistoryPage> {
  const res = await apiRequest<HistoryPage | { error?: string }>(target, 'GET', path);
  if (res.status === 200 && res.body && Array.isArray((res.body as HistoryPage).events)) return res.body as HistoryPage;
  const message = (res.body as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
  throw new HistoryError(`corral events: the daemon refused the query: ${message}`, res.status === 400);
}

/**
 * History: the newest `limit` events (oldest first), or, with `--since` and no
 * `-n`, every event since then, page by page. `before` (a seq) keeps the
 * newest-N history from overlapping a live tail that starts after it (the
 * paged history may overlap it; the caller skips ids it already printed).
 */
async function fetchHistory(pages: PageSource, filter: EventFilter, limit: number | undefined, before?: number): Promise<CorralEvent[]> {
  if (limit === 0) {
    // No history wanted; the query still proves the daemon answers and accepts the filter.
    await pages(filter, { order: 'desc', limit: 1 });
    return [];
  }
  if (limit !== undefined || filter.since === undefined) {
    // A desc cursor is exclusive: `before + 1` keeps `before` itself.
    let cursor = before !== undefined && before > 0 ? String(before + 1) : undefined;
    const want = limit ?? 100;
    let events: CorralEvent[] = [];
    // A page is bounded by bytes too (4 MiB): older pages until `want` events.
    do {
      const page = await pages(filter, { order: 'desc', limit: want - events.length, ...(cursor ? { cursor } : {}) });
      events = page.events.concat(events);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined && events.length < want);
    return events;
  }
  const all: CorralEvent[] = [];
  let next: string | null | undefined;
  do {
    const page = await pages(filter, { order: 'asc', limit: 1000, ...(next ? { cursor: next } : {}) });
    all.push(...page.events);
    next = page.next_cursor;
  } while (next);
  return all;
}

function parseLimit(value: string | boolean | undefined): number | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  // -n 0 asks for no history: with -f, only the events from now on.
  if (!/^\d+$/.test(value)) throw new UsageError(`-n ${JSON.stringify(value)}: expected a number of events (0 for none)`);
  return Math.min(Number(value), 10_000);
}

function makePrinter(json: boolean): (e: CorralEvent) => void {
  const color = useColor(process.stdout);
  const width = process.stdout.columns || 200;
  return (e) => process.stdout.write(`${json ? JSON.stringify(e) : formatEventLine(e, color, width)}\n`);
}

/** Where `events -f` says it waits: the daemon's address, or the config whose daemon has not written one yet. */
function waitingFor(target: DaemonTarget): string {
  if (target.configPath && !target.info) return `the corral daemon of ${target.configPath} (corral up)`;
  return `the corral daemon at ${target.baseUrl}`;
}

/**
 * The live tail. The WebSocket subscription is made first and its live events
 * held back; its `initial` message says the newest matching seq, and the
 * history is read up to that seq. Held-back events then follow, so there is
 * no gap between history and tail and no event twice (ids seen in the
 * history are skipped in case the daemon's `initial` was empty).
 *
 * A daemon that is not up yet is waited for, with the client's backoff; one
 * that refuses the connection (a bad token, another program on the port) is
 * an error. `locate` finds the daemon again once it answers, for the history.
 */
async function follow(locate: () => DaemonTarget, filter: EventFilter, limit: number | undefined, print: (e: CorralEvent) => void): Promise<number> {
  const target = locate();
  let waited = false;
  // It follows the daemon (daemon.json re-read on every reconnect) when a reload moves the bus to another port.
  const client = createClient({ ...busClientTarget(target), filter });
  const held: CorralEvent[] = [];
  let live = false;
  let first = true;
  let failed: Error | null = null;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));

  client.on('event', (e) => {
    if (first) return; // the first `initial`'s events: the history below replaces them
    if (live) print(e);
    else held.push(e);
  });
  client.on('initial', (info) => {
    if (!first) return;
    first = false;
    // After waiting for the daemon, it is found again: the history is read from where it runs.
    Promise.resolve()
      .then(() => fetchHistory(daemonPages(waited ? locate() : target), filter, limit, info.seq))
      .then((history) => {
        const seen = new Set<string>();
        for (const e of history) {
          seen.add(e.id);
          print(e);
        }
        for (const e of held.splice(0)) if (!seen.has(e.id)) print(e);
        live = true;
      })
      .catch((err: Error) => {
        failed = err;
        void client.close().then(() => finish(exitCodeOf(err)));
      });
  });
  // A lost connection is said once, and the reconnect once: the attempts in between (WS001) are not news.
  let away = false;
  client.on('close', (info) => {
    if (!info.reconnecting) return;
    away = true;
    if (info.code === 1012) process.stderr.write(`corral events: connection lost (${info.code}${info.reason ? ` ${info.reason}` : ''}), reconnecting…\n`);
    else process.stderr.write('corral events: the daemon went away; waiting for it…\n');
  });
  client.on('open', (info) => {
    if (info.reconnect) process.stderr.write('corral events: reconnected, resuming\n');
    away = false;
  });
  client.on('error', (err, meta) => {
    // corral's own error events print as event lines (when the filter takes them), never on stderr too.
    if (meta.event || (away && err.error_code === 'WS001')) return;
    process.stderr.write(`corral events: ${err.error_code} ${err.error_message}\n`);
  });

  let stopped = false;
  let retry: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  const stop = () => {
    stopped = true;
    if (retry) {
      clearTimeout(retry.timer);
      retry.wake();
    }
    void client.close().then(() => finish(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  for (let attempt = 0; !stopped; attempt++) {
    try {
      await client.connect();
      break;
    } catch (err) {
      if (stopped) break;
      if ((err as { status?: unknown }).status !== undefined) {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        throw new DaemonNotRunningError(`corral events: ${(err as Error).message}`);
      }
      if (!waited) process.stderr.write(`corral events: waiting for ${waitingFor(target)}…\n`);
      waited = true;
      await new Promise<void>((wake) => {
        retry = { timer: setTimeout(wake, backoffDelay(attempt, DEFAULT_BACKOFF)), wake };
      });
      retry = null;
    }
  }
  const code = await done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (failed) process.stderr.write(`${(failed as Error).message}\n`);
  return code;
}

/**
 * The history in the state directory's events.db when its daemon is not
 * running (said on stderr), or null when there is no such file.
 */
async function offlineHistory(stateDir: string, filter: EventFilter, limit: number | undefined): Promise<CorralEvent[] | null> {
  const file = statePaths(stateDir).events;
  const offline = await openOfflineHistory(file);
  if (!offline) return null;
  process.stderr.write(`corral: the daemon is not running; reading ${file}\n`);
  try {
    return await fetchHistory(offline.source, filter, limit);
  } finally {
    offline.close();
  }
}

/** `corral events`: history of the bus, and with -f its live tail. */
export async function run(args: string[]): Promise<number> {
  let filter: EventFilter;
  let limit: number | undefined;
  let flags: Record<string, string | boolean>;
  try {
    const parsed = parseArgs(args, { follow: 'boolean', type: 'value', source: 'value', session: 'value', host: 'value', since: 'value', until: 'value', limit: 'value', json: 'boolean', help: 'boolean' }, { f: 'follow', n: 'limit', h: 'help' });
    flags = parsed.flags;
    noWords(parsed.positionals);
    if (flags.help) {
      process.stdout.write(commandUsage('events'));
      return 0;
    }
    const since = typeof flags.since === 'string' ? parseTimeArg(flags.since, '--since') : undefined;
    const until = typeof flags.until === 'string' ? parseTimeArg(flags.until, '--until') : undefined;
    filter = {
      ...(typeof flags.type === 'string' ? { event_type: flags.type } : {}),
      ...(typeof flags.source === 'string' ? { source: flags.source } : {}),
      ...(typeof flags.session === 'string' ? { session_id: flags.session } : {}),
      ...(typeof flags.host === 'string' ? { host: flags.host } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
    };
    limit = parseLimit(flags.limit);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`corral events: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  // `corral events | head` closes the pipe: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const print = makePrinter(flags.json === true);
  try {
    const configFlag = typeof flags.config === 'string' ? flags.config : undefined;
    if (flags.follow) return await follow(() => findDaemon(configFlag), filter, limit, print);
    const target = findDaemon(configFlag);
    let events: CorralEvent[];
    try {
      events = await fetchHistory(daemonPages(target), filter, limit);
    } catch (err) {
      if (!(err instanceof DaemonNotRunningError) || !target.stateDir) throw err;
      const offline = await offlineHistory(target.stateDir, filter, limit);
      if (!offline) throw err;
      events = offline;
    }
    for (const e of events) print(e);
    return 0;
  } catch (err) {
    // The catalogue's errors (no daemon, a state dir held by another config, a refused query) are told and mapped; any other is a bug.
    if (err instanceof CorralError) {
      process.stderr.write(`${err.message.startsWith('corral') ? '' : 'corral events: '}${err.message}\n`);
      return exitCodeOf(err);
    }
    throw err;
  }
}
