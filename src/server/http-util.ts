import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { CorralError } from '../errors.js';

const gzipAsync = promisify(gzip);

/** A request body that could not be read: the status to answer and why. */
export class BodyError extends CorralError {
  declare readonly status: 400 | 413;
  constructor(status: 400 | 413, message: string) {
    super(status === 413 ? 'HTTP002' : 'HTTP001', [message]);
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

/** 405 for a known path asked with a method it does not answer, with the `Allow` header. */
export function sendMethodNotAllowed(req: IncomingMessage, res: ServerResponse, method: string, path: string, allow: readonly string[]): Promise<void> {
  // A path that answers GET answers HEAD too.
  const header = allow.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');
  return sendError(req, res, 405, `${method} is not allowed on ${path}; use ${allow.join(' or ')}`, {}, { allow: header });
}
