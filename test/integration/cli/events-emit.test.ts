import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer, TOKEN } from '../server/helpers.js';
import { startCli, writeProject, type CliRun } from './run-cli.js';
import { waitFor } from '../../helpers/wait-for.js';
import { makeError } from '../../../src/schema/errors.js';

let dir: string;
let srv: TestServer | undefined;
const runs: CliRun[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-events-'));
});
afterEach(async () => {
  for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await srv?.close();
  srv = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function cli(command: 'events' | 'emit', args: string[]): CliRun {
  const run = startCli(command, args, { cwd: dir });
  run.child.stdin?.end();
  runs.push(run);
  return run;
}

function publish(from: number, to: number, type = 'test.tick'): void {
  for (let n = from; n <= to; n++) {
    const r = srv!.bus.publish({ event_type: type, source: 'test', session_id: 's', payload: { n } });
    if (!r.ok) throw new Error(r.error.error_message);
  }
}

const lines = (run: CliRun) => run.stdout().split('\n').filter(Boolean);
const numbers = (run: CliRun) => lines(run).map((l) => (JSON.parse(l) as { payload: { n: number } }).payload.n);

describe('corral events', () => {
  test('-n N --type: the newest N matching events, oldest first', async () => {
    srv = await startTestServer({ auth: 'required' });
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    publish(1, 10);
    publish(1, 3, 'other.kind');
    const run = cli('events', ['-n', '4', '--type', 'test.*', '--json']);
    expect(await run.exited).toBe(0);
    expect(numbers(run)).toEqual([7, 8, 9, 10]);
  });

  test('--source and --session take comma lists, in the history and in the live tail', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const send = (source: string, session: string, n: number) => {
      const r = srv!.bus.publish({ event_type: 'test.tick', source, session_id: session, payload: { n } });
      if (!r.ok) throw new Error(r.error.error_message);
    };
    send('alice', 's1', 1);
    send('bob', 's2', 2);
    send('carol', 's1', 3);
    send('bob', 's3', 4);
    const history = cli('events', ['--source', 'alice,bob', '--json']);
    expect(await history.exited).toBe(0);
    expect(numbers(history)).toEqual([1, 2, 4]);
    const both = cli('events', ['--source', 'alice, bob', '--session', 's1,s3', '--json']);
    expect(await both.exited).toBe(0);
    expect(numbers(both)).toEqual([1, 4]);

    const live = cli('events', ['-f', '-n', '0', '--source', 'carol,bob', '--json']);
    await waitFor('the subscription', () => srv!.server.clientCount() === 1);
    send('alice', 's1', 5);
    send('carol', 's1', 6);
    send('bob', 's2', 7);
    await waitFor('the live events', () => lines(live).length >= 2);
    // A later event that matches shows the one from alice was not merely late.
    send('bob', 's2', 8);
    await waitFor('the last event', () => lines(live).length >= 3);
    live.child.kill('SIGTERM');
    expect(await live.exited).toBe(0);
    expect(numbers(live)).toEqual([6, 7, 8]);
  });

  test('-f: history, then the live tail, with no gap and nothing twice', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    publish(1, 5);
    const run = cli('events', ['-f', '-n', '3', '--type', 'test.*', '--json']);
    await waitFor('the history', () => lines(run).length >= 3);
    publish(6, 9);
    publish(1, 2, 'other.kind');
    await waitFor('the live events', () => lines(run).length >= 7);
    // Stop only once the connection has seen a later event, so nothing is still in flight.
    publish(10, 10);
    await waitFor('the last event', () => lines(run).length >= 8);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(numbers(run)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('-n 0 -f: no history, only the events published from now on; -n 0 alone prints nothing', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    publish(1, 5);
    const none = cli('events', ['-n', '0', '--json']);
    expect(await none.exited).toBe(0);
    expect(none.stdout()).toBe('');
    const run = cli('events', ['-f', '-n', '0', '--type', 'test.*', '--json']);
    // Subscribed once the server counts the connection: every event published after that reaches it.
    await waitFor('the subscription', () => srv!.server.clientCount() === 1);
    publish(6, 8);
    await waitFor('the new events', () => lines(run).length >= 3);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(numbers(run)).toEqual([6, 7, 8]);
    const bad = cli('events', ['-n', 'some']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/-n "some"/);
  });

  test('-f before the daemon is up: says it waits, then tails the daemon once it starts; SIGINT while waiting exits 0', async () => {
    writeProject(dir, null);
    const run = cli('events', ['-f', '--type', 'test.*', '--json']);
    await waitFor('the waiting line', () => run.stderr().includes('waiting for'));
    expect(run.stderr()).toBe(`corral events: waiting for the corral daemon of ${join(dir, 'corral.yaml')} (corral up)…\n`);
    expect(run.child.exitCode).toBeNull();
    srv = await startTestServer({ auth: 'required' });
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    await waitFor('the connection once the daemon is up', () => srv!.server.clientCount() === 1);
    publish(1, 3);
    await waitFor('the events', () => lines(run).length >= 3);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(numbers(run)).toEqual([1, 2, 3]);
    expect(run.stderr().match(/waiting for/g)).toHaveLength(1);

    // A daemon that answers but refuses (here: no token where it is required) is an error, not waited for.
    const other = join(dir, 'other');
    mkdirSync(other);
    writeProject(other, { port: srv.server.port });
    const refused = startCli('events', ['-f'], { cwd: other });
    runs.push(refused);
    refused.child.stdin?.end();
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/HTTP 401/);
    expect(refused.stderr()).not.toMatch(/waiting for/);

    // A daemon that went away (daemon.json left behind): waited for at its address; Ctrl-C ends it cleanly.
    const port = srv.server.port;
    await srv.close();
    srv = undefined;
    const waiting = cli('events', ['-f']);
    await waitFor('the waiting line', () => waiting.stderr().includes('waiting for'));
    expect(waiting.stderr()).toBe(`corral events: waiting for the corral daemon at http://127.0.0.1:${port}…\n`);
    waiting.child.kill('SIGINT');
    expect(await waiting.exited).toBe(0);
  });

  test('human output: time, type, source and summary on one line', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    srv.bus.publish({ event_type: 'component.stopped', source: 'corral', session_id: 's', payload: { component: 'router', reason: 'crashed' } });
    const run = cli('events', []);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} component\.stopped +corral router crashed\n$/);
  });

  test('a bad --since is a usage error (exit 2) naming it; a stopped daemon is exit 1 saying so', async () => {
    const bad = cli('events', ['--since', 'whenever']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--since "whenever"/);
    writeProject(dir, { port: 1 });
    const down = cli('events', []);
    expect(await down.exited).toBe(1);
    expect(down.stderr()).toMatch(/not running/);
  });
});

describe('corral emit', () => {
  test('publishes one event and prints its id once stored', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const run = cli('emit', ['deploy.finished', '--payload', '{"version":"1.2"}', '--source', 'ci', '--session', 'build-7']);
    expect(await run.exited).toBe(0);
    const id = run.stdout().trim();
    const [e] = srv.bus.history({ event_type: 'deploy.finished' }).events;
    expect(e?.event).toMatchObject({ id, source: 'ci', session_id: 'build-7', payload: { version: '1.2' } });
  });

  test('--payload @FILE and --payload - (stdin) send a payload too big for the command line (1 MB)', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    // About 1 MB in fields below bus.redact.field_max (a longer string would be cut short in the store).
    const big = Array.from({ length: 1000 }, (_, i) => `${i}:${'x'.repeat(990)}`);
    writeFileSync(join(dir, 'payload.json'), JSON.stringify({ big, from: 'file' }));
    const fromFile = cli('emit', ['big.file', '--payload', '@payload.json']);
    expect(await fromFile.exited).toBe(0);
    const piped = startCli('emit', ['big.stdin', '--payload', '-', '--json'], { cwd: dir });
    runs.push(piped);
    piped.child.stdin!.end(JSON.stringify({ big, from: 'stdin' }));
    expect(await piped.exited).toBe(0);
    const { id, seq } = JSON.parse(piped.stdout()) as { id: string; seq: number };
    expect(seq).toBeGreaterThan(0);
    const [file] = srv.bus.history({ event_type: 'big.file' }).events;
    const [stdin] = srv.bus.history({ event_type: 'big.stdin' }).events;
    // Compared as text: a failed toEqual would print a megabyte.
    expect(file?.event.id).toBe(fromFile.stdout().trim());
    expect(JSON.stringify(file?.event.payload) === JSON.stringify({ big, from: 'file' })).toBe(true);
    expect(stdin?.event.id).toBe(id);
    expect(JSON.stringify(stdin?.event.payload) === JSON.stringify({ big, from: 'stdin' })).toBe(true);

    const missing = cli('emit', ['x', '--payload', '@nope.json']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toMatch(/--payload @nope\.json: cannot read "nope\.json" \(ENOENT\)/);
    writeFileSync(join(dir, 'list.json'), '[1]');
    const notObject = cli('emit', ['x', '--payload', '@list.json']);
    expect(await notObject.exited).toBe(2);
    expect(notObject.stderr()).toMatch(/--payload @list\.json must be a JSON object \(got an array\)/);
  });

  test('--help and a usage error print the same usage, with every option', async () => {
    const help = cli('emit', ['--help']);
    expect(await help.exited).toBe(0);
    const usage = help.stdout().split('\n')[0]!;
    expect(usage).toBe('usage: corral emit TYPE [--payload JSON|@FILE|-] [--source S] [--session ID] [--json]');
    const bad = cli('emit', []);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toBe(`corral emit: missing the event TYPE (e.g. corral emit deploy.finished)\n${usage}\n`);
    const events = cli('events', ['--until', 'whenever']);
    expect(await events.exited).toBe(2);
    expect(events.stderr()).toContain('usage: corral events [-f] [--type T] [--source S] [--session ID] [--host H] [--since T] [--until T] [-n N] [--json]\n');
  });

  test('an invalid --payload is exit 2 naming the problem, and nothing is sent', async () => {
    const notJson = cli('emit', ['x', '--payload', '{oops']);
    const notObject = cli('emit', ['x', '--payload', '[1,2]']);
    expect(await notJson.exited).toBe(2);
    expect(notJson.stderr()).toMatch(/--payload is not valid JSON/);
    expect(await notObject.exited).toBe(2);
    expect(notObject.stderr()).toMatch(/--payload must be a JSON object \(got an array\)/);
  });

  test('an event the daemon refuses (the schema, a reserved type) is exit 1 with its reason; 2 is for usage', async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port });
    const run = cli('emit', ['x', '--source', '']);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/source/);
    const reserved = cli('emit', ['component.stopped']);
    expect(await reserved.exited).toBe(1);
    expect(reserved.stderr()).toMatch(/the daemon refused the event \(HTTP 400\): .*reserved/);
  });
});

describe('corral events -f when the daemon goes away', () => {
  test("an error event prints once, as an event line; a lost daemon is one calm line, its return another", async () => {
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    const run = cli('events', ['-f', '-n', '0']);
    await waitFor('the subscription', () => srv!.server.clientCount() === 1);
    // corral's own error event: the bus also sends it to every client as an `error` message.
    const r = srv.bus.publish({ event_type: 'error.RES001', source: 'corral', session_id: 's', payload: makeError('RES001', 'web', 'web uses 95% of its memory limit') });
    expect(r.ok).toBe(true);
    await waitFor('the event line', () => run.stdout().includes('error.RES001'));
    expect(run.stdout().match(/RES001/g)).toHaveLength(1);

    // The daemon goes; its address then takes connections and drops them (each reconnect attempt fails, counted).
    await srv.close();
    srv = undefined;
    let attempts = 0;
    const dropper = createServer((s) => {
      attempts++;
      s.destroy();
    });
    await new Promise<void>((res) => dropper.listen(0, '127.0.0.1', res));
    try {
      writeProject(dir, { port: (dropper.address() as AddressInfo).port, token: TOKEN });
      await waitFor('two failed reconnect attempts', () => attempts >= 2, { timeoutMs: 30_000 });
    } finally {
      await new Promise((res) => dropper.close(res));
    }
    expect(run.stderr()).toBe('corral events: the daemon went away; waiting for it…\n');

    // A daemon again: one line, and the tail goes on.
    srv = await startTestServer();
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    await waitFor('the reconnect', () => srv!.server.clientCount() === 1, { timeoutMs: 40_000 });
    await waitFor('the reconnect line', () => run.stderr().includes('reconnected'));
    expect(run.stderr()).toBe('corral events: the daemon went away; waiting for it…\ncorral events: reconnected, resuming\n');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 90_000);
});
