import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';

const gzipAsync = promisify(gzip);

/** A request body that could not be read: the status to answer and why. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/** Reads the whole body, refusing more than `max` bytes (413) as soon as it is exceeded. */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      reject(new BodyError(413, `body of ${declared} bytes is over the ${max}-byte limit (bus.max_payload)`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > max) {
        failed = true;
        reject(new BodyError(413, `body is over the ${max}-byte limit (bus.max_payload)`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/** Parses a JSON body; a 400 that says where the JSON broke. */
export async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const buf = await readBody(req, max);
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
