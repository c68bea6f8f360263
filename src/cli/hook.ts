import { request } from 'node:http';
import { join } from 'node:path';
import { createRedactor } from '../bus/redact.js';
import { DEFAULT_DAEMON_URL, spoolHook } from '../bus/spool.js';
import { fallbackStateDir, statePaths } from '../daemon/paths.js';
import { isCorralHealth, readHealth } from '../server/port-owner.js';
import { parseArgs } from './args.js';
import { findDaemon, type DaemonTarget } from './daemon-client.js';

// Claude Code waits for its hooks: the whole command stays within about a second.
const TOTAL_MS = 1000;
const STDIN_MS = 500;
const MAX_STDIN = 16 * 1024 * 1024;

/** Reads stdin to its end, or what arrived within `ms`; a terminal or a missing stdin reads as empty. */
function readStdin(ms: number): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      stdin.removeAllListeners('data');
      stdin.destroy();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(done, ms);
    stdin.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_STDIN) chunks.push(c);
    });
    stdin.once('end', done);
    stdin.once('error', done);
  });
}

/** POSTs the body; resolves with the status, or 0 when the daemon is down or too slow. */
function post(target: DaemonTarget, name: string, body: string, ms: number): Promise<number> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(status);
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
          ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => settle(res.statusCode ?? 0));
        res.on('error', () => settle(0));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      settle(0);
    }, ms);
    req.on('error', () => settle(0));
    req.end(body);
  });
}

/** Whether a corral answers at `baseUrl`: its `GET /health` names the service (any other server keeps the hook's body). */
async function isCorral(baseUrl: string, ms: number): Promise<boolean> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  const answer = await readHealth(url, ms);
  return 'status' in answer && answer.status === 200 && isCorralHealth(answer.body);
}

function parseBody(text: string): { body: unknown; name: string | undefined } {
  if (text.trim() === '') return { body: {}, name: undefined };
  try {
    const body = JSON.parse(text) as unknown;
    const name = body && typeof body === 'object' ? (body as { hook_event_name?: unknown }).hook_event_name : undefined;
    return { body, name: typeof name === 'string' && name !== '' ? name : undefined };
  } catch {
    return { body: { raw: text, parse_error: 'hook body is not JSON' }, name: undefined };
  }
}

/**
 * `corral hook [EVENT]`: forwards a Claude Code hook (JSON on stdin) to the
 * daemon's `POST /hooks/EVENT`; when the daemon is down, slow or answers
 * badly, appends it to the spool, which the daemon replays when it starts.
 * Without a config it sends to `CORRAL_URL` (default http://127.0.0.1:4000)
 * only when a corral answers there (its `GET /health`), else spools to the
 * fallback state directory, with that URL, for the daemon at that address.
 * Spooled bodies are redacted as the bus would.
 * Never writes to stdout (Claude Code reads a hook's stdout) and always exits 0.
 */
export async function run(args: string[]): Promise<number> {
  const started = Date.now();
  // Whatever else happens, this command does not outlive its budget by much.
  setTimeout(() => process.exit(0), TOTAL_MS * 3).unref();
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
    const text = await readStdin(STDIN_MS);
    const { body, name: bodyName } = parseBody(text);
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
    const status = reachable && target ? await post(target, name, text.trim() === '' ? '{}' : text, left()) : 0;
    if (status >= 200 && status < 300) return 0;
    const spoolDir = target?.stateDir ? statePaths(target.stateDir).spool : join(fallbackStateDir(), 'spool');
    // The bus's default masking (API keys, tokens, secret-named keys) before the body touches the disk; its size cap
    // is left to the replay, which applies the bus's own settings.
    const masked = createRedactor({ field_max: Number.POSITIVE_INFINITY }).redactValue(body);
    // The URL it was meant for: a daemon replays the shared spool only when that is its own address.
    const url = target?.baseUrl ?? process.env.CORRAL_URL ?? DEFAULT_DAEMON_URL;
    spoolHook(spoolDir, { hook_event_name: name, received_at: started, url, body: masked });
  } catch (err) {
    process.stderr.write(`corral hook: ${(err as Error).message}\n`);
  }
  return 0;
}
