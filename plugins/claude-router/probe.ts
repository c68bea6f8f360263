import { request } from 'node:http';
import type { HealthResult } from '../../src/index.js';

function get(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Probes the router: `/health` first; when the router has no such route
 * (404), its root. Any answer below 500 means the server is up.
 */
export async function probeRouter(host: string, port: number, timeoutMs: number): Promise<HealthResult> {
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  try {
    let status = await get(`${base}/health`, timeoutMs);
    let path = '/health';
    if (status === 404) {
      status = await get(`${base}/`, timeoutMs);
      path = '/';
    }
    return status < 500 ? { ok: true, detail: `${path} answered ${status}` } : { ok: false, detail: `${base}${path} answered ${status}` };
  } catch (err) {
    return { ok: false, detail: `${base}: ${(err as Error).message}` };
  }
}
