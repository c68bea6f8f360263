import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createSampleHistory } from '../../../src/server/sample-history.js';
import { daemonFor, is, type TestDaemon } from '../daemon/in-process.js';
import { startTestServer, TOKEN, type TestServer } from './helpers.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const json = (r: Reply) => JSON.parse(r.body.toString('utf8')) as any;

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A built web app in a temp dir: index.html, a hashed script with its precompressed forms. */
function webDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-web-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><title>corral</title><script type="module" src="/assets/app-Ab12.js"></script>${' '.repeat(400)}`);
  const js = `console.log(${JSON.stringify('corral dashboard '.repeat(60))});\n`;
  writeFileSync(join(dir, 'assets', 'app-Ab12.js'), js);
  writeFileSync(join(dir, 'assets', 'app-Ab12.js.gz'), gzipSync(js));
  return dir;
}

async function serverWith(dir: string, overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer({ dashboard: { webDir: dir, samples: createSampleHistory(), logsDir: join(dir, 'logs') }, ...overrides });
  cleanups.push(() => s.close());
  return s;
}

describe('the dashboard\u2019s static files', () => {
  it('serves index.html at / with the CSP, no-cache and an ETag; hashed assets immutable, brotli or gzip as accepted', async () => {
    const dir = webDir();
    const { server } = await serverWith(dir);
    const page = await get(server.port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port}`);
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers['x-content-type-options']).toBe('nosniff');

    // 304 for the ETag it gave.
    const again = await get(server.port, '/', { 'if-none-match': String(page.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const js = '/assets/app-Ab12.js';
    const br = await get(server.port, js, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gz = await get(server.port, js, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const plain = await get(server.port, js);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    // Each form has its own ETag; `br;q=0` is a refusal.
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
    expect((await get(server.port, js, { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');

    const head = await get(server.port, '/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('a browser navigating to an app path gets index.html; an API client and a missing asset get the JSON 404', async () => {
    const { server } = await serverWith(webDir());
    const view = await get(server.port, '/sessions/abc', { accept: 'text/html,application/xhtml+xml' });
    expect(view.status).toBe(200);
    expect(view.body.toString()).toContain('<title>corral</title>');
    const api = await get(server.port, '/sessions/abc');
    expect(api.status).toBe(404);
    expect(json(api).error).toBe('no route GET /sessions/abc');
    expect((await get(server.port, '/assets/gone-1234.js', { accept: 'text/html' })).status).toBe(404);
    // The existing routes are untouched.
    expect(json(await get(server.port, '/health')).service).toBe('corral');
  });

  it('says how to build it when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'corral-web-'));
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }));
    const { server } = await serverWith(empty);
    const r = await get(server.port, '/');
    expect(r.status).toBe(404);
    expect(r.body.toString()).toContain('npm run build');
  });

  it('with auth: required, the read-only routes want the token as reading the bus does', async () => {
    const { server } = await serverWith(webDir(), { auth: 'required' });
    const refused = await get(server.port, '/dashboard/components');
    expect(refused.status).toBe(401);
    expect(json(refused).code).toBe('WS005');
    // With it, the check passes (and this server has no supervisor).
    expect((await get(server.port, '/dashboard/components', { authorization: `Bearer ${TOKEN}` })).status).toBe(503);
    // The page itself holds no data: it is served to any allowed client.
    expect((await get(server.port, '/')).status).toBe(200);
  });
});

describe('the dashboard\u2019s read-only routes on a running daemon', () => {
  let d: TestDaemon | null = null;
  afterEach(async () => {
    await d?.close();
    d = null;
  });

  it('gives the component table with samples, and a cleaned, masked log tail, without the token; control still needs it', async () => {
    d = await daemonFor(`version: 1
bus: { port: 0 }
resources: { interval: 200ms }
components:
  painter:
    command: ["sh", "-c", "printf '\\\\033[1;32mgreen\\\\033[0m text\\\\n'; echo 'key sk-ant-abcdefghijklmnopqrstuv here'; echo 'progress 10%\\\\rprogress 100%'; exec sleep 60"]
`);
    const t = d;
    await t.waitFor('painter started', is('component.started', 'painter'));
    await t.waitForSamples('painter', 2);
    const port = t.daemon.server.port;

    const table = await get(port, '/dashboard/components');
    expect(table.status).toBe(200);
    expect(table.headers['cache-control']).toBe('no-store');
    const body = json(table);
    const row = body.components.find((c: any) => c.name === 'painter');
    expect(row).toMatchObject({ state: 'running', plugin: 'process', attachable: false, restarts: 0 });
    expect(row.pid).toBe(t.pidOf('painter'));
    expect(row).not.toHaveProperty('attach');
    expect(row.samples.length).toBeGreaterThanOrEqual(2);
    const [at, cpu, mem] = row.samples[row.samples.length - 1];
    expect(at).toBeGreaterThan(Date.now() - 60_000);
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(mem).toBeGreaterThan(0);
    // Only what came after `since`.
    const newer = json(await get(port, `/dashboard/components?since=${at}`)).components.find((c: any) => c.name === 'painter');
    expect(newer.samples.every((p: [number, number, number]) => p[0] > at)).toBe(true);
    expect((await get(port, '/dashboard/components?since=yesterday')).status).toBe(400);

    const log = await (async () => {
      for (let i = 0; i < 100; i++) {
        const r = json(await get(port, '/dashboard/logs/painter'));
        if (r.lines.length >= 3) return r;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('the log never had 3 lines');
    })();
    expect(log.lines.map((l: any) => l.text)).toEqual(['green text', 'key [REDACTED] here', 'progress 100%']);
    expect(log.lines[0].stream).toBe('out');

    const unknown = await get(port, '/dashboard/logs/nope');
    expect(unknown.status).toBe(404);
    expect(json(unknown).error).toContain('the components are: painter');
    expect((await get(port, '/dashboard/logs/painter?lines=99999')).status).toBe(400);
    const post = await get(port, '/dashboard/components', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');

    expect((await get(port, '/api/components')).status).toBe(401);
  });
});
