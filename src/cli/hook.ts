import { closeSync, openSync, readSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { HOOK_EVENT_ID_HEADER } from '../bus/hook-header.js';
import { fallbackStateDir, statePaths } from '../daemon/paths.js';
import { parseArgs } from './args.js';
import { findDaemon, type DaemonTarget } from './daemon-client.js';
import { readBusUrl } from './state-dir.js';

// Claude Code waits for its hooks: the whole command stays within about a second.
const TOTAL_MS = 1000;
/** How long the hook waits for the end of its stdin; what is left of the second is the POST's. */
export const STDIN_MS = 750;
const MAX_STDIN = 16 * 1024 * 1024;

/** stdin as read: its text, and why it is not the whole of it when it is not. */
interface StdinRead {
  text: string;
  /** Bytes received (all of them, also those past the size cap). */
  bytes: number;
  /** Set when the text is not all of stdin: no end within the budget, or over the size cap. */
  incomplete?: string;
}

/** Reads stdin to its end, or what arrived within `ms`; a terminal or a missing stdin reads as empty. */
function readStdin(ms: number): Promise<StdinRead> {
  const stdin = process.stdin;
  if (stdin.isTTY) return Promise.resolve({ text: '', bytes: 0 });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (why?: string) => {
      clearTimeout(timer);
      stdin.removeAllListeners('data');
      stdin.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const incomplete = why ?? (size > MAX_STDIN ? `more than ${MAX_STDIN} bytes` : undefined);
      resolve(incomplete === undefined ? { text, bytes: size } : { text, bytes: size, incomplete });
    };
    // A closed or absent stdin has ended by then; one still open is a hook body that is late or cut short.
    const timer = setTimeout(() => done(`no end of input within ${ms} ms`), ms);
    stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_STDIN) chunks.push(c);
    });
    stdin.once('end', () => done());
    stdin.once('error', (err) => done(size > 0 ? `read error: ${err.message}` : undefined));
  });
}

/**
 * A time-ordered (version 7) UUID: the time in milliseconds, then random bits
 * read from /dev/urandom. Time-ordered, because the store's unique index of
 * ids takes a rising id at its end and a random one at a random page, at
 * twice the cost of an insert (bench/store-ids.js); and from /dev/urandom,
 * because loading node:crypto takes ~5 ms, a quarter of what this command
 * adds to Node's own start (bench/hooks.js). Where there is no /dev/urandom,
 * Web Crypto's random (version 4) one.
 */
export function hookEventUuid(now: number = Date.now()): string {
  const b = Buffer.alloc(16);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, b, 0, 16, null) !== 16) return globalThis.crypto.randomUUID();
    } finally {
      closeSync(fd);
    }
  } catch {
    return globalThis.crypto.randomUUID();
  }
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The daemon's answer: its status (0 when it is down or too slow) and, for an error, its message. */
interface Answer {
  status: number;
  error?: string;
  /** A 2xx body: Claude Code's hook output when a `hooks:` rule decided (`{}` otherwise). */
  text?: string;
}

/** Ends the process at this time whatever else happens (moved later while a decision is pending). */
let hardStop: NodeJS.Timeout | null = null;
function stopAt(ms: number): void {
  if (hardStop) clearTimeout(hardStop);
  hardStop = setTimeout(() => process.exit(0), ms);
  hardStop.unref();
}

/** POSTs the body; resolves with the daemon's answer. */
function post(target: DaemonTarget, name: string, body: string, id: string, ms: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (status: number, error?: string, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, ...(error === undefined ? {} : { error }), ...(text === undefined ? {} : { text }) });
    };
    let url: URL;
    try {
      url = new URL(`/hooks/${encodeURIComponent(name)}`, target.baseUrl);
    } catch {
      settle(0);
      return;
    }
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          // The event's id, chosen here: a POST that outlives the budget is spooled too, and the store keeps one of the two.
          [HOOK_EVENT_ID_HEADER]: id,
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
      },
      (res) => {
        // An `ask` rule holds the hook until a person (or the timeout) decides: wait for it, not for the usual second.
        if (res.headers['x-corral-decision'] === 'pending') {
          const wait = Number(res.headers['x-corral-ask-timeout-ms']) || 60_000;
          clearTimeout(timer);
          timer = setTimeout(() => {
            req.destroy();
            settle(0);
          }, wait + 5000);
          stopAt(wait + 10_000);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 64 * 1024) chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) settle(status, undefined, text);
          else settle(status, errorOf(text));
        });
        res.on('error', () => settle(0));
      },
    );
    let timer = setTimeout(() => {
      req.destroy();
      settle(0);
    }, ms);
    req.on('error', () => settle(0));
    req.end(body);
  });
}

/** The `error` of a JSON error answer, else the text itself (one line). */
function errorOf(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
  } catch {}
  return message.replace(/\s+/g, ' ').trim().slice(0, 500);
}

/**
 * A 4xx that refuses the hook for what it is (an invalid or reserved name):
 * spooling it would only have it refused again. A rate limit (429), a timeout
 * (408) or a missing or wrong token (401, 403) is not about the hook, whose
 * replay from the spool the daemon does accept.
 */
const refused = (status: number): boolean => status >= 400 && status < 500 && ![401, 403, 408, 429].includes(status);

/** Whether a corral answers at `baseUrl`: its `GET /health` names the service (any other server keeps the hook's body). */
async function isCorral(baseUrl: string, ms: number): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  // Loaded only here (no config): most hooks run in a project and never need it.
  const { isCorralHealth, readHealth } = await import('../server/port-owner.js');
  const answer = await readHealth(url, ms);
  return 'status' in answer && answer.status === 200 && isCorralHealth(answer.body);
}

/** The fields that identify a hook, picked out of a body cut short (so its session is not "unknown"). */
const SALVAGED = ['session_id', 'hook_event_name', 'cwd', 'transcript_path', 'tool_name'] as const;

function salvage(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SALVAGED) {
    const m = new RegExp(`"${key}"\\s*:\\s*("(?:[^"\\\\]|\\\\.){0,4096}")`).exec(text);
    if (!m) continue;
    try {
      out[key] = JSON.parse(m[1]!) as string;
    } catch {}
  }
  return out;
}

/**
 * The hook body. A stdin cut short says so in `_corral.stdin` ("incomplete",
 * with the bytes received and why), and what can be read of it is kept: the
 * whole body when it parses anyway, else the raw text with the identifying
 * fields picked out.
 */
export function parseBody(read: StdinRead): { body: unknown; name: string | undefined } {
  const { text } = read;
  let body: unknown;
  let whole = false;
  try {
    body = text.trim() === '' ? {} : (JSON.parse(text) as unknown);
    // A whole JSON object is the whole hook, even when its writer left stdin open.
    whole = text.trim() !== '' && body !== null && typeof body === 'object' && !Array.isArray(body);
  } catch {
    body = { ...(read.incomplete === undefined ? {} : salvage(text)), raw: text, parse_error: read.incomplete === undefined ? 'hook body is not JSON' : 'hook body is cut short' };
  }
  if (read.incomplete !== undefined && !whole) {
    const mark = { stdin: 'incomplete', bytes: read.bytes, reason: read.incomplete };
    body = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body, _corral: mark } : { body, _corral: mark };
  }
  const name = body && typeof body === 'object' ? (body as { hook_event_name?: unknown }).hook_event_name : undefined;
  return { body, name: typeof name === 'string' && name !== '' ? name : undefined };
}

/**
 * `corral hook [EVENT]`: forwards a Claude Code hook (JSON on stdin) to the
 * daemon's `POST /hooks/EVENT`; when the daemon is down, slow or answers
 * badly, appends it to the spool, which the daemon replays when it starts.
 * Without a config it sends to `CORRAL_URL` (default http://127.0.0.1:4000)
 * only when a corral answers there (its `GET /health`), else spools to the
 * fallback state directory, with that URL, for the daemon at that address.
 * Spooled bodies are redacted as the bus would.
 * Writes to stdout only the decision a `hooks:` rule made (Claude Code reads a
 * hook's stdout as its output), and always exits 0.
 */
export async function run(args: string[]): Promise<number> {
  const started = Date.now();
  if (args.includes('--print-settings')) return (await import('./hook-settings.js')).printSettings(args);
  // Whatever else happens, this command does not outlive its budget by much.
  stopAt(TOTAL_MS * 3);
  let positionals: string[] = [];
  let config: string | undefined;
  try {
    const parsed = parseArgs(args, {});
    positionals = parsed.positionals;
    config = typeof parsed.flags.config === 'string' ? parsed.flags.config : undefined;
  } catch (err) {
    process.stderr.write(`corral hook: ${(err as Error).message} (ignored)\n`);
    positionals = args.filter((a) => !a.startsWith('-'));
  }
  try {
    const read = await readStdin(STDIN_MS);
    const { body, name: bodyName } = parseBody(read);
    // Sent as read when it parsed as it was; rebuilt when it was cut short or marked.
    const text = read.incomplete === undefined ? read.text : JSON.stringify(body);
    const id = hookEventUuid();
    const name = positionals[0] ?? bodyName ?? 'Unknown';
    let target: DaemonTarget | null = null;
    try {
      target = findDaemon(config);
    } catch {}
    const left = () => Math.max(200, TOTAL_MS - (Date.now() - started));
    // A config whose daemon is not running spools: never hand its hooks to whatever else listens on the default port.
    let reachable = target !== null && (target.info !== null || target.configPath === null);
    // No config: the port (4000 unless CORRAL_URL says otherwise) may be anyone's, say a dev server that logs
    // request bodies. Send the hook (prompts, tool input) only when what answers there says it is corral.
    if (reachable && target?.configPath === null) reachable = await isCorral(target.baseUrl, left() / 2);
    const answer = reachable && target ? await post(target, name, text.trim() === '' ? '{}' : text, id, left()) : { status: 0 };
    if (answer.status >= 200 && answer.status < 300) {
      // A decision (deny, or the outcome of an `ask`) is Claude Code's to read; `{}` says nothing and is not printed.
      const out = answer.text?.trim() ?? '';
      if (out !== '' && out !== '{}') process.stdout.write(`${out}\n`);
      return 0;
    }
    if (refused(answer.status)) {
      process.stderr.write(`corral hook: the daemon refused ${JSON.stringify(name)}: ${answer.error ?? `HTTP ${answer.status}`}\n`);
      return 0;
    }
    // The spool and the redactor are loaded only when a hook is spooled: most hooks are sent, and every
    // module less is start-up time less on the path Claude Code waits on.
    const [{ createRedactor }, { DEFAULT_DAEMON_URL, spoolHook }] = await Promise.all([import('../bus/redact.js'), import('../bus/spool.js')]);
    const spoolDir = target?.stateDir ? statePaths(target.stateDir).spool : join(fallbackStateDir(), 'spool');
    // The bus's default masking (API keys, tokens, secret-named keys) before the body touches the disk; its size cap
    // is left to the replay, which applies the bus's own settings.
    const masked = createRedactor({ field_max: Number.POSITIVE_INFINITY }).redactValue(body);
    // The URL it was meant for: a daemon replays the shared spool only when that is its own address. A config's
    // daemon that is down is meant at the address its config asks for, not at CORRAL_URL or the default.
    const configUrl = target?.configPath && !target.info ? await readBusUrl(target.configPath) : null;
    const url = configUrl ?? target?.baseUrl ?? process.env.CORRAL_URL ?? DEFAULT_DAEMON_URL;
    spoolHook(spoolDir, { id, hook_event_name: name, received_at: started, url, body: masked });
  } catch (err) {
    process.stderr.write(`corral hook: ${(err as Error).message}\n`);
  }
  return 0;
}
