import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ProbeCheck } from './types.js';

/**
 * GETs the url; ok on a 2xx status. A fresh connection each time (no agent),
 * so an aborted probe leaves no pooled socket behind.
 */
export function httpCheck(url: string): ProbeCheck {
  const parsed = new URL(url);
  const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  return (signal) =>
    new Promise((resolve, reject) => {
      const req = request(parsed, { method: 'GET', agent: false, signal, headers: { 'user-agent': 'corral-health' } }, (res) => {
        const status = res.statusCode ?? 0;
        // The body is not needed; reading it lets the socket close cleanly.
        res.resume();
        res.on('error', () => {});
        resolve({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` });
      });
      req.on('error', reject);
      req.end();
    });
}
