import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ByteBudget } from './body-budget.js';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { CorralError } from '../errors.js';

const gzipAsync = promisify(gzip);

/** A request body that could not be read: the status to answer and why (503: the daemon-wide body budget is full, try again). */
export class BodyError extends CorralError {
  declare readonly status: 400 | 413 | 503;
  constructor(status: 400 | 413 | 503, message: string) {
    super(status === 413 ? 'HTTP002' : status === 503 ? 'HTTP003' : 'HTTP001', [message]);
  }
}

/** Seconds a client refused for a full body budget is asked to wait. */
export const BODY_RETRY_AFTER_S = 1;

/** Where a body is counted while it is held: the daemon-wide budget, given back when `res` closes. */
export interface BodyAccount {
  budget: ByteBudget;
  res: ServerResponse;
}

/**
 * Reads the whole body, refusing more than `max` bytes (413, naming `limit`)
 * as soon as that is known: at once from Content-Length, else as a chunked
 * body passes it. With `account`, every byte held is counted against the
 * daemon-wide budget until the answer is sent; a body that does not fit is
 * refused with 503. A refused body is not kept: the rest of it is read and dropped.
 */
export function readBody(req: IncomingMessage, max: number, limit = `${max}-byte limit (bus.max_payload)`, account?: BodyAccount): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let held = 0;
    const take = (n: number): boolean => {
      if (!account) return true;
      if (!account.budget.tryTake(n)) return false;
      if (held === 0) account.res.once('close', () => account.budget.give(held));
      held += n;
      return true;
    };
    const full = () =>
      new BodyError(503, `the daemon holds ${account!.budget.limit} bytes of request bodies at most and is at that limit; retry in ${BODY_RETRY_AFTER_S} s`);
    const declared = Number(req.headers['content-length']);
    const known = req.headers['content-length'] !== undefined && Number.isFinite(declared);
    if (known && declared > max) {
      req.resume();
      reject(new BodyError(413, `body of ${declared} bytes is over the ${limit}`));
      return;
    }
    // A declared length is held whole at once: a body that cannot fit is refused before a byte of it is read.
    if (known && declared > 0 && !take(declared)) {
      req.resume();
      reject(full());
      return;
    }
    // A declared length is read into one buffer of that size: no chunk list and no copy of it at the end.
    let whole: Buffer | null = known && declared > 0 ? Buffer.allocUnsafe(declared) : null;
    let chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      failed = true;
      chunks = [];
      whole = null;
      reject(err);
    };
    req.on('data', (c: Buffer) => {
      if (failed) return;
      if (size + c.length > max) return fail(new BodyError(413, `body is over the ${limit}`));
      if (whole && size + c.length > whole.length) return fail(new BodyError(400, `body is longer than its Content-Length (${declared})`));
      if (!known && !take(c.length)) return fail(full());
      if (whole) c.copy(whole, size);
      else chunks.push(c);
      size += c.length;
    });
    req.on('end', () => {
      if (failed) return;
      if (whole) resolve(size === whole.length ? whole : whole.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) fail(err);
    });
  });
}

/** Parses a JSON body; a 400 that says where the JSON broke. */
export function parseJson(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  if (text.trim() === '') throw new BodyError(400, 'the body is empty: expected JSON');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Answers JSON (already serialised or not), gzip'ed when the client accepts it and the body is worth it. */
export async function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let payload: Buffer = Buffer.from(text);
  const h: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', ...headers };
  const accepts = String(req.headers['accept-encoding'] ?? '');
  if (payload.length > 1024 && /\bgzip\b/.test(accepts)) {
    payload = await gzipAsync(payload);
    h['content-encoding'] = 'gzip';
    h.vary = 'Accept-Encoding';
  }
  h['content-length'] = payload.length;
  res.writeHead(status, h);
  res.end(payload);
}

/** A JSON error answer: `{error, code?, ...extra}`. */
export function sendError(req: IncomingMessage, res: ServerResponse, status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<void> {
  return sendJson(req, res, status, { error: message, ...extra }, headers);
}

/** The `Allow` header of a path answering these methods: a path that answers GET answers HEAD too. */
export function allowHeader(methods: readonly string[]): string {
  return methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
}

/** 405 for a known path asked with a method it does not answer, with the `Allow` header. */
export function sendMethodNotAllowed(req: IncomingMessage, res: ServerResponse, method: string, path: string, allow: readonly string[]): Promise<void> {
  return sendError(req, res, 405, `${method} is not allowed on ${path}; use ${allow.join(' or ')}`, {}, { allow: allowHeader(allow) });
}

/**
 * Refuses a WebSocket upgrade on its raw socket, as ws's `abortHandshake`
 * does: the status text from `http.STATUS_CODES`, `Connection: close`, and
 * the socket destroyed only once the answer is flushed ('finish'), so the
 * body is never cut off. A peer that never reads cannot keep it: it is cut
 * after ABORT_GRACE_MS.
 */
export function abortHandshake(socket: Duplex, status: number, message: string, headers: Record<string, string | number> = {}): void {
  const body = `${message}\n`;
  const all: Record<string, string | number> = { Connection: 'close', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers };
  const head = Object.entries(all)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  const timer = setTimeout(() => socket.destroy(), ABORT_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n${head}\r\n\r\n${body}`);
}

const ABORT_GRACE_MS = 5000;

/** A URL as it may be logged: the value of a `token` query parameter is masked (it is the daemon's credential). */
export function loggableUrl(url: string | undefined): string {
  if (url === undefined) return '';
  return url.replace(/([?&]token=)[^&#]*/gi, '$1***');
}
