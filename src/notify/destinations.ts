import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { NotifyRule } from '../config/notify-schema.js';
import type { Notification } from './format.js';

/** One try at a destination: a request or a process, each bounded by this. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** The destination of a rule, by the key that set it. */
export function destinationOf(rule: NotifyRule): string {
  if (rule.webhook) return `webhook ${rule.webhook}`;
  if (rule.slack) return 'slack';
  if (rule.ntfy) return `ntfy ${rule.ntfy}`;
  if (rule.desktop) return 'desktop';
  return `command ${rule.command?.[0] ?? ''}`;
}

function post(url: string, body: string | Buffer, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'POST', headers: { 'content-length': Buffer.byteLength(body), ...headers }, timeout: ATTEMPT_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 300) text += c;
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs argv without a shell; fails on a non-zero exit, a signal or the timeout, with the end of stderr. */
function run(argv: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env, timeout: ATTEMPT_TIMEOUT_MS, killSignal: 'SIGKILL' });
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      if (err.length < 500) err += c;
    });
    child.on('error', (e) => reject(new Error(`${argv[0]}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${argv[0]} ${signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, over ${ATTEMPT_TIMEOUT_MS / 1000} s` : ''})` : `exited ${code}`}${err.trim() ? `: ${err.trim().slice(0, 200)}` : ''}`));
    });
  });
}

/** `{title}` `{message}` `{component}` `{event_type}` in one argv element; any other braces stay as written. */
export function substitute(arg: string, n: Notification): string {
  return arg.replace(/\{(title|message|component|event_type)\}/g, (_, k: keyof Notification) => String(n[k]));
}

const NTFY_PRIORITY: Record<string, string> = { critical: '5', error: '4', warning: '4' };

/** Delivers one notification through a rule's destination, once; rejects with what went wrong. */
export function deliver(rule: NotifyRule, n: Notification): Promise<void> {
  if (rule.webhook) return post(rule.webhook, JSON.stringify({ title: n.title, message: n.message, component: n.component, event_type: n.event_type, event: n.event }), { 'content-type': 'application/json', ...rule.headers });
  // Slack's incoming webhooks take `text` (mrkdwn): the title in bold over the message.
  if (rule.slack) return post(rule.slack, JSON.stringify({ text: `*${n.title}*\n${n.message}` }), { 'content-type': 'application/json' });
  if (rule.ntfy) {
    const p = n.event.payload as { alert_level?: unknown; severity?: unknown };
    const level = String(p?.alert_level ?? p?.severity ?? '');
    // ntfy takes the message as the body and the title in a header (which must be Latin-1: other characters are dropped).
    const title = n.title.replace(/[^\x20-\x7e]/g, '?');
    return post(rule.ntfy, n.message, { 'content-type': 'text/plain; charset=utf-8', title, tags: n.event_type, ...(NTFY_PRIORITY[level] ? { priority: NTFY_PRIORITY[level]! } : {}) });
  }
  if (rule.desktop) {
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return Promise.reject(new Error('no display (neither DISPLAY nor WAYLAND_DISPLAY is set) for notify-send'));
    return run(['notify-send', '--app-name=corral', n.title, n.message]);
  }
  return run(rule.command!.map((a) => substitute(a, n)));
}
