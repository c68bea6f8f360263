import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { replaySpool } from '../../../src/bus/spool.js';
import { startTestServer, type TestServer } from '../server/helpers.js';
import { startCli, writeProject, type CliRun } from './run-cli.js';

let dir: string;
let srv: TestServer | undefined;
let proxy: Server | undefined;
const runs: CliRun[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-hook-once-'));
});
afterEach(async () => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  if (proxy) {
    proxy.closeAllConnections();
    await new Promise((r) => proxy!.close(r));
  }
  await srv?.close();
  srv = proxy = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function hook(args: string[]): CliRun {
  const run = startCli('hook', args, { cwd: dir });
  runs.push(run);
  return run;
}

function spooled(spoolDir: string): { id?: string; hook_event_name: string; body: any }[] {
  return readdirSync(spoolDir).flatMap((f) =>
    readFileSync(join(spoolDir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
  );
}

/**
 * Stands in front of the daemon: passes each request on at once (so the daemon stores it) and holds the
 * daemon's answer until `release` is called, so the hook's POST outlives its budget.
 */
async function slowProxy(port: number): Promise<{ port: number; forwarded: Promise<number>; release: () => void }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let answered!: (status: number) => void;
  const forwarded = new Promise<number>((r) => (answered = r));
  proxy = createServer((req, res) => {
    const up = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${port}` } }, (upRes) => {
      upRes.resume();
      upRes.on('end', () => {
        answered(upRes.statusCode ?? 0);
        void released.then(() => res.writeHead(upRes.statusCode ?? 502).end());
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy!.listen(0, '127.0.0.1', r));
  return { port: (proxy.address() as { port: number }).port, forwarded, release };
}

const body = { session_id: 'sess-once', cwd: '/home/u/shop', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } };

describe('corral hook: one event per hook', () => {
  test('a POST that outlives the budget is stored and spooled; the replay of the spool does not store it twice', async () => {
    srv = await startTestServer();
    const slow = await slowProxy(srv.server.port);
    writeProject(dir, { port: slow.port });
    const run = hook([]);
    run.child.stdin!.end(JSON.stringify(body));
    expect(await run.exited).toBe(0);
    // The daemon stored it; the hook, which saw no answer within its second, spooled it too.
    expect(await slow.forwarded).toBe(202);
    slow.release();
    const lines = spooled(join(dir, '.corral', 'spool'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await srv.store.flush();
    const replay = await replaySpool(join(dir, '.corral', 'spool'), (e) => srv!.bus.publish(e));
    expect(replay).toMatchObject({ replayed: 1, skipped: [] });
    await srv.store.flush();
    const stored = srv.store.query({ event_type: 'PreToolUse' }).events;
    expect(stored.map((e) => e.event.id)).toEqual([lines[0]!.id]);
    expect(stored[0]!.event).toMatchObject({ session_id: 'sess-once', payload: body });
  });

  test('a stdin cut short is stored marked, with the session it names', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const run = hook([]);
    const part = '{"session_id":"sess-slow","hook_event_name":"Stop","cwd":"/home/u/shop","last_assistant_message":"half';
    run.child.stdin!.write(part);
    expect(await run.exited).toBe(0);
    run.child.stdin!.destroy();
    const [e] = srv.bus.history({ event_type: 'Stop' }).events;
    expect(e?.event).toMatchObject({
      session_id: 'sess-slow',
      source_app: 'shop',
      payload: {
        session_id: 'sess-slow',
        hook_event_name: 'Stop',
        raw: part,
        parse_error: 'hook body is cut short',
        _corral: { stdin: 'incomplete', bytes: Buffer.byteLength(part), reason: 'no end of input within 750 ms' },
      },
    });
  });

  test('a stdin that sends nothing and never closes is stored marked, not as an unmarked empty hook', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const run = hook(['Notification']);
    expect(await run.exited).toBe(0);
    run.child.stdin!.destroy();
    const [e] = srv.bus.history({ event_type: 'Notification' }).events;
    expect(e?.event.payload).toEqual({ _corral: { stdin: 'incomplete', bytes: 0, reason: 'no end of input within 750 ms' } });
  });

  test('a whole JSON body whose writer leaves stdin open is stored as it is, unmarked', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const run = hook([]);
    run.child.stdin!.write(JSON.stringify(body));
    expect(await run.exited).toBe(0);
    run.child.stdin!.destroy();
    const [e] = srv.bus.history({ event_type: 'PreToolUse' }).events;
    expect(e?.event.payload).toEqual(body);
  });
});
