import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_VIEW_ID, withFirstView } from '../../../src/server/static.js';
import { daemonFor, is, type TestDaemon } from '../daemon/in-process.js';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The first view's JSON in a page, as the page reads it (the text of the data block). */
function island(html: string): any {
  const m = new RegExp(`<script type="application/json" id="${FIRST_VIEW_ID}">([^<]*)</script>`).exec(html);
  return m ? JSON.parse(m[1]!) : null;
}

describe('index.html carries the first view (the component table)', () => {
  let d: TestDaemon | null = null;
  afterEach(async () => {
    await d?.close();
    d = null;
  });

  it('in a JSON data block, without the samples, not stored, and without the preload of the table', async () => {
    d = await daemonFor('version: 1\nbus: { port: 0 }\ncomponents:\n  sleeper:\n    command: ["sleep", "60"]\n');
    await d.waitFor('sleeper started', is('component.started', 'sleeper'));
    const port = d.daemon.server.port;
    const page = await get(port, '/', { accept: 'text/html', 'accept-encoding': 'gzip, br' });
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers.etag).toBeUndefined();
    expect(String(page.headers['content-security-policy'])).not.toContain('unsafe-inline');
    expect(page.headers['content-encoding']).toBe('gzip');
    const html = gunzipSync(page.body).toString('utf8');
    const table = island(html);
    expect(table.components).toEqual([expect.objectContaining({ name: 'sleeper', state: 'running', pid: d.pidOf('sleeper'), samples: [] })]);
    expect(table.samples_kept).toBeGreaterThan(0);
    expect(html).not.toContain('rel="preload" href="/dashboard/components"');
    // The same rows as the route gives.
    const route = JSON.parse((await get(port, '/dashboard/components')).body.toString('utf8'));
    expect(route.components.map((c: any) => ({ ...c, samples: [], uptime_ms: 0 }))).toEqual(table.components.map((c: any) => ({ ...c, uptime_ms: 0 })));
  });
});

describe('withFirstView', () => {
  it('keeps text in the data from ending the element, and `$` patterns from being replaced', () => {
    const json = JSON.stringify({ components: [{ name: 'a', reason: '</script><script>alert(1)</script> $& $` $\'' }] });
    const html = withFirstView('<html><head><link rel="preload" href="/dashboard/components" as="fetch" crossorigin="anonymous" />\n</head><body></body></html>', json);
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).not.toContain('rel="preload"');
    expect(island(html)).toEqual(JSON.parse(json));
  });
});
