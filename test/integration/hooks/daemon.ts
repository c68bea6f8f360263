import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bin, cli, project } from '../daemon/helpers.js';

/** A real detached daemon (`corral up -d`, the built CLI) on a free port, with a typed way to call it. */
export async function startProject(yaml: string) {
  const p = project(yaml);
  const up = await cli(['up', '-d'], p.dir);
  if (up.code !== 0) {
    await p.cleanup();
    throw new Error(`corral up -d failed (${up.code}): ${up.stderr}`);
  }
  const info = JSON.parse(readFileSync(join(p.dir, '.corral', 'daemon.json'), 'utf8')) as { port: number };
  const token = readFileSync(join(p.dir, '.corral', 'token'), 'utf8').trim();
  const url = `http://127.0.0.1:${info.port}`;
  return {
    ...p,
    url,
    port: info.port,
    token,
    cli: (args: string[]) => cli(args, p.dir),
    /** POST a hook; resolves with the status, the headers and the body text. */
    async hook(name: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; headers: Record<string, string>; text: string }> {
      const res = await fetch(`${url}/hooks/${name}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, ...(signal ? { signal } : {}) });
      return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
    },
    /** corral's events of a type prefix, oldest first. */
    async events(type: string): Promise<{ event_type: string; payload: Record<string, unknown> }[]> {
      const res = await fetch(`${url}/events?event_type=${encodeURIComponent(type)}&limit=1000`, { headers: { authorization: `Bearer ${token}` } });
      return ((await res.json()) as { events: { event_type: string; payload: Record<string, unknown> }[] }).events;
    },
    /** `corral hook NAME` of the built CLI, with the body on stdin. */
    hookProcess(name: string, body: unknown) {
      const child = spawn(process.execPath, [bin, 'hook', name], { cwd: p.dir, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stdin.end(JSON.stringify(body));
      const done = new Promise<{ code: number | null; stdout: string }>((r) => child.on('close', (code) => r({ code, stdout: out })));
      return { child, done };
    },
  };
}

/** Polls until `probe` gives a value `ok` accepts (a condition read over the API, not a sleep). */
export async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
}
