import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer, TOKEN } from '../server/helpers.js';
import { startCli, writeProject, type CliRun } from './run-cli.js';

let dir: string;
let srv: TestServer | undefined;
let fake: Server | undefined;
const runs: CliRun[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-hook-'));
});
afterEach(async () => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await srv?.close();
  if (fake) await new Promise((r) => fake!.close(r));
  srv = fake = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function hook(args: string[], input: string | null, env: Record<string, string> = {}, stdin: 'pipe' | 'ignore' = 'pipe'): CliRun {
  const run = startCli('hook', args, { cwd: dir, env, stdin });
  runs.push(run);
  if (input !== null) run.child.stdin?.end(input);
  return run;
}

function spooled(spoolDir: string): { hook_event_name: string; url?: string; body: any }[] {
  return readdirSync(spoolDir).flatMap((f) =>
    readFileSync(join(spoolDir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

const body = { session_id: 'sess-1', cwd: '/home/u/shop', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } };

/** A port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('corral hook', () => {
  test('forwards the hook to the daemon: the bus gets the HookEvent, nothing is spooled, stdout stays empty', async () => {
    srv = await startTestServer({ auth: 'required' });
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    const run = hook([], JSON.stringify(body));
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('');
    const [e] = srv.bus.history({ event_type: 'PreToolUse' }).events;
    expect(e?.event).toMatchObject({ hook_event_type: 'PreToolUse', source: 'claude-code', source_app: 'shop', session_id: 'sess-1', payload: body });
    expect(() => readdirSync(join(dir, '.corral', 'spool'))).toThrow();
  });

  test('no config: forwards to the corral at CORRAL_URL', async () => {
    srv = await startTestServer();
    const state = join(dir, 'xdg');
    const run = hook(['Stop'], JSON.stringify({ session_id: 's3' }), { XDG_STATE_HOME: state, CORRAL_URL: `http://127.0.0.1:${srv.server.port}` });
    expect(await run.exited).toBe(0);
    expect(srv.bus.history({ event_type: 'Stop' }).events.map((e) => e.event.session_id)).toEqual(['s3']);
    expect(() => readdirSync(join(state, 'corral', 'spool'))).toThrow();
  });

  test('no config and something other than corral on the port: the hook body is never sent there, it is spooled', async () => {
    const seen: string[] = [];
    // A server that accepts anything (as a dev server on port 4000 might) and is not corral.
    fake = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', r));
    const state = join(dir, 'xdg');
    const run = hook(['PreToolUse'], JSON.stringify(body), { XDG_STATE_HOME: state, CORRAL_URL: `http://127.0.0.1:${(fake.address() as { port: number }).port}` });
    expect(await run.exited).toBe(0);
    expect(seen).toEqual(['GET /health']);
    expect(spooled(join(state, 'corral', 'spool'))).toMatchObject([{ hook_event_name: 'PreToolUse', body }]);
  });

  test('daemon down and no config: spools under XDG_STATE_HOME, exits 0 with nothing on stdout', async () => {
    const state = join(dir, 'xdg');
    const run = hook(['Stop'], JSON.stringify({ session_id: 's2' }), { XDG_STATE_HOME: state, CORRAL_URL: `http://127.0.0.1:${await deadPort()}` });
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('');
    expect(spooled(join(state, 'corral', 'spool'))).toMatchObject([{ hook_event_name: 'Stop', body: { session_id: 's2' } }]);
  });

  test('the spooled line records the URL it was meant for, and its secrets are masked as the bus masks them', async () => {
    const state = join(dir, 'xdg');
    const url = `http://127.0.0.1:${await deadPort()}`;
    const secret = { session_id: 's4', tool_input: { command: 'curl -H "Authorization: Bearer abcdef0123456789" https://x', api_key: 'plain-value' } };
    const run = hook(['PreToolUse'], JSON.stringify(secret), { XDG_STATE_HOME: state, CORRAL_URL: url });
    expect(await run.exited).toBe(0);
    const [line] = spooled(join(state, 'corral', 'spool'));
    expect(line).toMatchObject({ hook_event_name: 'PreToolUse', url });
    expect(line!.body.tool_input).toEqual({ command: 'curl -H "Authorization: Bearer [REDACTED]" https://x', api_key: '[REDACTED]' });
    const text = readdirSync(join(state, 'corral', 'spool')).map((f) => readFileSync(join(state, 'corral', 'spool', f), 'utf8')).join('');
    expect(text).not.toMatch(/abcdef0123456789|plain-value/);
  });

  test('a name the daemon refuses: one line on stderr, exit 0, nothing stored or spooled; the body\'s hook_event_name is used when it can be', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const bad = hook(['bad name!'], JSON.stringify({ session_id: 's-bad' }));
    expect(await bad.exited).toBe(0);
    expect(bad.stdout()).toBe('');
    expect(bad.stderr()).toBe('corral hook: the daemon refused "bad name!": invalid hook event name "bad name!": a hook event name is 1 to 128 letters, digits and _.:-; nothing was stored\n');
    const reserved = hook(['component.started'], JSON.stringify({ session_id: 's-res' }));
    expect(await reserved.exited).toBe(0);
    expect(reserved.stderr()).toMatch(/^corral hook: the daemon refused "component\.started": hook event name "component\.started" refused: event_type: "component\.started" is reserved: .*\n$/);
    // Claude Code's body names the hook: that name is used.
    const rescued = hook(['component.started'], JSON.stringify(body));
    expect(await rescued.exited).toBe(0);
    expect(rescued.stderr()).toBe('');
    expect(srv.bus.history({}).events.map((e) => [e.event.event_type, e.event.session_id])).toEqual([['PreToolUse', 'sess-1']]);
    expect(() => readdirSync(join(dir, '.corral', 'spool'))).toThrow();
  });

  test('a config whose daemon is down: the spooled line records the config\'s bus address, not CORRAL_URL or the default', async () => {
    mkdirSync(join(dir, 'my'));
    writeFileSync(join(dir, 'my', 'pm2.yaml'), 'version: 1\nbus:\n  host: localhost\n  port: 4517\ncomponents: {}\n');
    const run = hook(['Stop'], JSON.stringify({ session_id: 's5' }), { CORRAL_CONFIG: 'my/pm2.yaml', CORRAL_URL: 'http://127.0.0.1:4999' });
    expect(await run.exited).toBe(0);
    expect(spooled(join(dir, 'my', '.corral', 'spool'))).toMatchObject([{ hook_event_name: 'Stop', url: 'http://localhost:4517', body: { session_id: 's5' } }]);
    // No bus section: the schema's default address.
    writeFileSync(join(dir, 'my', 'pm2.yaml'), 'version: 1\n');
    const plain = hook(['Stop'], JSON.stringify({ session_id: 's6' }), { CORRAL_CONFIG: 'my/pm2.yaml', CORRAL_URL: 'http://127.0.0.1:4999' });
    expect(await plain.exited).toBe(0);
    expect(spooled(join(dir, 'my', '.corral', 'spool')).map((r) => r.url)).toEqual(['http://localhost:4517', 'http://127.0.0.1:4000']);
  });

  test('a daemon that answers badly: the hook is spooled in the state directory', async () => {
    fake = createServer((req, res) => {
      req.resume();
      res.writeHead(500).end('broken');
    });
    await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', r));
    writeProject(dir, { port: (fake.address() as { port: number }).port });
    const run = hook([], JSON.stringify(body));
    expect(await run.exited).toBe(0);
    expect(spooled(join(dir, '.corral', 'spool'))).toMatchObject([{ hook_event_name: 'PreToolUse', body }]);
  });

  test('a daemon that never answers: the hook gives up within its budget and spools', async () => {
    fake = createServer(() => {});
    await new Promise<void>((r) => fake!.listen(0, '127.0.0.1', r));
    const port = (fake.address() as { port: number }).port;
    writeProject(dir, { port });
    const run = hook(['Notification'], '{"session_id":"x"}');
    expect(await run.exited).toBe(0);
    // The address is daemon.json's.
    expect(spooled(join(dir, '.corral', 'spool'))).toMatchObject([{ hook_event_name: 'Notification', url: `http://127.0.0.1:${port}` }]);
  });

  test('absent stdin, or a stdin that is never closed, does not hang it', async () => {
    const env = { XDG_STATE_HOME: join(dir, 'xdg'), CORRAL_URL: `http://127.0.0.1:${await deadPort()}` };
    const absent = hook(['SessionStart'], null, env, 'ignore');
    const open = hook(['SessionEnd'], null, env);
    expect(await absent.exited).toBe(0);
    expect(await open.exited).toBe(0);
    expect(absent.stdout() + open.stdout()).toBe('');
    const names = spooled(join(dir, 'xdg', 'corral', 'spool')).map((r) => r.hook_event_name).sort();
    expect(names).toEqual(['SessionEnd', 'SessionStart']);
  });

  test('a body that is not JSON is kept as raw text', async () => {
    const env = { XDG_STATE_HOME: join(dir, 'xdg'), CORRAL_URL: `http://127.0.0.1:${await deadPort()}` };
    const run = hook(['Stop'], 'not json', env);
    expect(await run.exited).toBe(0);
    expect(spooled(join(dir, 'xdg', 'corral', 'spool'))).toMatchObject([{ body: { raw: 'not json' } }]);
  });
});
