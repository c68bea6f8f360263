import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
/** Worth compressing (images and fonts already are). */
const TEXT = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.svg', '.txt', '.map']);

interface Representation {
  body: Buffer;
  etag: string;
}

interface WebFile {
  type: string;
  /** Immutable: its name carries its content hash (vite's `assets/NAME-HASH.js`). */
  hashed: boolean;
  identity: Representation;
  gzip?: Representation;
  br?: Representation;
}

/** Where the built dashboard is: `dist/web`, from `dist/src/server/` (the package) or from `src/server/` (tests, tsx). */
export function defaultWebDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, '..', '..', 'web'), join(here, '..', '..', 'dist', 'web')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

function etagOf(body: Buffer, tag: string): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}${tag}"`;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

/**
 * Reads the built web app into memory once (it is small): each file with its
 * gzip and brotli forms, taken from the `.gz`/`.br` files the build wrote
 * beside it, else compressed here.
 */
export function loadWebFiles(dir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  const all = listFiles(dir);
  const present = new Set(all);
  for (const full of all) {
    const ext = extname(full);
    if (ext === '.gz' || ext === '.br') continue;
    const raw = readFileSync(full);
    const urlPath = `/${relative(dir, full).split(sep).join('/')}`;
    const file: WebFile = { type: TYPES[ext] ?? 'application/octet-stream', hashed: urlPath.startsWith('/assets/'), identity: { body: raw, etag: etagOf(raw, '') } };
    if (TEXT.has(ext) && raw.length > 256) {
      const gz = present.has(`${full}.gz`) ? readFileSync(`${full}.gz`) : gzipSync(raw, { level: 9 });
      const br = present.has(`${full}.br`) ? readFileSync(`${full}.br`) : brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } });
      if (gz.length < raw.length) file.gzip = { body: gz, etag: etagOf(raw, '-gz') };
      if (br.length < raw.length) file.br = { body: br, etag: etagOf(raw, '-br') };
    }
    files.set(urlPath, file);
  }
  return files;
}

/**
 * The page's Content-Security-Policy: everything from this daemon only (no
 * CDN, no inline script or style, no frames), and the bus's WebSocket on
 * the address the page was loaded from.
 */
export function contentSecurityPolicy(host: string | undefined): string {
  const ws = host ? ` ws://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${ws}`,
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The codings an `Accept-Encoding` header accepts (those with q > 0). */
export function acceptedEncodings(header: string): Set<string> {
  const out = new Set<string>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) out.add(name);
  }
  return out;
}

/** Which form of a file this client gets: brotli first, then gzip, else as is. */
function pickEncoding(file: WebFile, header: string): { rep: Representation; encoding: string | null } {
  const accepted = acceptedEncodings(header);
  if (file.br && (accepted.has('br') || accepted.has('*'))) return { rep: file.br, encoding: 'br' };
  if (file.gzip && (accepted.has('gzip') || accepted.has('*'))) return { rep: file.gzip, encoding: 'gzip' };
  return { rep: file.identity, encoding: null };
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * Serves the dashboard's static files at `/`: content types, precompressed
 * brotli or gzip, ETag and 304, `Cache-Control` (immutable for hashed assets,
 * revalidated for the rest), the Content-Security-Policy, and `index.html`
 * for an unknown path a browser navigates to (the app's own paths), while an
 * API client asking an unknown path still gets the JSON 404. Returns false
 * for a request it does not answer.
 */
/** The `<script type="application/json" id="corral-first">` index.html carries (web/src/model/components.ts reads it). */
export const FIRST_VIEW_ID = 'corral-first';
// index.html's preload of the table: a page that has the table in it does not ask for it again.
const PRELOAD_TABLE = /<link rel="preload" href="\/dashboard\/components"[^>]*>\s*/;

/**
 * index.html with the first view's data in it, as a JSON data block (never
 * run as a script, so the Content-Security-Policy allows it): `<` is written
 * `\u003c`, so no text in it (a component's name or reason) can end the element.
 */
export function withFirstView(html: string, json: string): string {
  const island = `<script type="application/json" id="${FIRST_VIEW_ID}">${json.replace(/</g, '\\u003c')}</script>\n  `;
  // A function, not a string: `$&` and the like in the data are not replacement patterns.
  return html.replace(PRELOAD_TABLE, '').replace('</head>', () => `${island}</head>`);
}

/** Answers a page (index.html) made for this request: no ETag, not stored, gzip when the client takes it (~0.1 ms for it). */
function sendPage(req: IncomingMessage, res: ServerResponse, headers: Record<string, string | number>, html: string): void {
  let body = Buffer.from(html);
  const h: Record<string, string | number> = { ...headers, 'cache-control': 'no-store' };
  delete h.etag;
  if (acceptedEncodings(String(req.headers['accept-encoding'] ?? '')).has('gzip')) {
    body = gzipSync(body, { level: 6 });
    h['content-encoding'] = 'gzip';
  }
  h['content-length'] = body.length;
  res.writeHead(200, h);
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * `firstView(req)`: the first view's data for this request (the JSON of the
 * component table), or null when this client may not read it or there is none
 * yet; index.html then goes out as built and the page asks for the table.
 */
export function createStaticFiles(dir: string = defaultWebDir(), firstView?: (req: IncomingMessage) => string | null) {
  let files: Map<string, WebFile> | null = null;
  let builtAt = -1;
  // Read once; again when index.html changed (`npm run build` while the daemon runs): a stat per page load.
  const load = (page: boolean): Map<string, WebFile> => {
    if (files && !page) return files;
    let mtime = 0;
    try {
      mtime = statSync(join(dir, 'index.html')).mtimeMs;
    } catch {}
    if (!files || mtime !== builtAt) {
      files = loadWebFiles(dir);
      builtAt = mtime;
    }
    return files;
  };

  return function serveStatic(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const method = req.method === 'HEAD' ? 'HEAD' : req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const navigation = /\btext\/html\b/.test(String(req.headers.accept ?? ''));
    const web = load(path === '/' || path === '/index.html' || navigation);
    let file = web.get(path === '/' ? '/index.html' : path);
    if (!file) {
      const last = path.slice(path.lastIndexOf('/') + 1);
      // A browser navigating to one of the app's views: the app, which reads its path itself.
      if ((path === '/' || (navigation && !last.includes('.') && !path.startsWith('/assets/'))) && web.has('/index.html')) file = web.get('/index.html');
      else if (path === '/' || path === '/index.html') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end(`the dashboard is not built: \`npm run build\` builds it into ${dir}\n`);
        return true;
      } else return false;
    }
    if (!file) return false;
    const { rep, encoding } = pickEncoding(file, String(req.headers['accept-encoding'] ?? ''));
    const headers: Record<string, string | number> = {
      'content-type': file.type,
      'cache-control': file.hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: rep.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    };
    if (file.type.startsWith('text/html')) {
      headers['content-security-policy'] = contentSecurityPolicy(req.headers.host);
      headers['x-frame-options'] = 'DENY';
    }
    const island = file.type.startsWith('text/html') && firstView ? firstView(req) : null;
    if (island !== null) {
      sendPage(req, res, headers, withFirstView(file.identity.body.toString('utf8'), island));
      return true;
    }
    if (etagMatches(req.headers['if-none-match'], rep.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    if (encoding) headers['content-encoding'] = encoding;
    headers['content-length'] = rep.body.length;
    res.writeHead(200, headers);
    res.end(method === 'HEAD' ? undefined : rep.body);
    return true;
  };
}
