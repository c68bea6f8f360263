import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { hookToEvent } from '../../../src/bus/hook-event.js';
import { resolveHookName } from '../../../src/bus/hook-name.js';
import { replaySpool, spoolHook, spoolTargets } from '../../../src/bus/spool.js';
import { createEventStore } from '../../../src/bus/store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-spool-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('hookToEvent', () => {
  test('wraps a hook body as a HookEvent', () => {
    const body = { session_id: 'abc', cwd: '/home/u/projects/shop', hook_event_name: 'PreToolUse', tool_name: 'Bash' };
    expect(hookToEvent('PreToolUse', body)).toEqual({
      event_type: 'PreToolUse',
      hook_event_type: 'PreToolUse',
      source: 'claude-code',
      source_app: 'shop',
      session_id: 'abc',
      payload: body,
    });
    expect(hookToEvent('Stop', {})).toMatchObject({ source_app: 'claude-code', session_id: 'unknown' });
  });
});

describe('spool', () => {
  test('spooled hooks are replayed as the events the route makes, in order, then removed', async () => {
    const spool = join(dir, 'spool');
    spoolHook(spool, { hook_event_name: 'PreToolUse', received_at: 1_700_000_000_000, body: { session_id: 's1', cwd: '/x/app', tool_name: 'Bash' } });
    spoolHook(spool, { hook_event_name: 'Stop', received_at: 1_700_000_000_500, body: { session_id: 's1' } });
    const store = createEventStore({ file: join(dir, 'events.db'), retention: { events: 1000, age: 1e13 } });
    try {
      const bus = createBus({ store });
      const result = await replaySpool(spool, bus.publish);
      expect(result).toEqual({ replayed: 2, skipped: [], expired: 0 });
      const events = store.query({}).events.map((e) => e.event);
      expect(events).toMatchObject([
        { event_type: 'PreToolUse', hook_event_type: 'PreToolUse', source: 'claude-code', source_app: 'app', session_id: 's1', timestamp: 1_700_000_000_000, payload: { tool_name: 'Bash' } },
        { event_type: 'Stop', timestamp: 1_700_000_000_500 },
      ]);
      expect(store.pending()).toBe(0);
      expect(readdirSync(spool)).toEqual([]);
    } finally {
      store.close();
    }
  });

  test('garbage lines are skipped and reported, the rest is replayed', async () => {
    const spool = join(dir, 'spool');
    const file = spoolHook(spool, { hook_event_name: 'Stop', received_at: Date.now(), body: { session_id: 'a' } });
    appendFileSync(file, 'not json\n{"no_name":1}\n');
    spoolHook(spool, { hook_event_name: 'Notification', received_at: Date.now(), body: { session_id: 'a' } });
    const bus = createBus();
    const result = await replaySpool(spool, bus.publish);
    expect(result.replayed).toBe(2);
    expect(result.skipped).toEqual([
      { file: expect.stringMatching(/^hooks-\d{8}\.jsonl$/), line: 2, reason: expect.stringMatching(/^not JSON/) },
      { file: expect.stringMatching(/^hooks-\d{8}\.jsonl$/), line: 3, reason: 'no hook_event_name' },
    ]);
    expect(bus.history({}).events.map((e) => e.event.event_type)).toEqual(['Stop', 'Notification']);
  });

  test('hooks another daemon is meant for stay in the spool; the rest are replayed', async () => {
    const spool = join(dir, 'spool');
    const at = Date.now();
    spoolHook(spool, { hook_event_name: 'Stop', received_at: at, url: 'http://127.0.0.1:4100', body: { session_id: 'mine' } });
    const file = spoolHook(spool, { hook_event_name: 'Stop', received_at: at, url: 'http://127.0.0.1:4200', body: { session_id: 'theirs' } });
    // A line from before the URL was recorded is taken as meant for the default address.
    appendFileSync(file, `${JSON.stringify({ hook_event_name: 'Stop', received_at: at, body: { session_id: 'old' } })}\n`);
    const bus = createBus();
    const result = await replaySpool(spool, bus.publish, (r) => spoolTargets(r.url, '127.0.0.1', 4100));
    expect(result).toEqual({ replayed: 1, skipped: [], expired: 0 });
    expect(bus.history({}).events.map((e) => e.event.session_id)).toEqual(['mine']);
    expect(readdirSync(spool)).toEqual([file.slice(spool.length + 1)]);
    const left = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).body.session_id);
    expect(left).toEqual(['theirs', 'old']);
    // The default daemon takes the rest; nothing is left behind.
    const other = createBus();
    await replaySpool(spool, other.publish, (r) => spoolTargets(r.url, '127.0.0.1', 4200));
    await replaySpool(spool, other.publish, (r) => spoolTargets(r.url, '127.0.0.1', 4000));
    expect(other.history({}).events.map((e) => e.event.session_id)).toEqual(['theirs', 'old']);
    expect(readdirSync(spool)).toEqual([]);
  });

  test('lines older than maxAgeMs are dropped and counted, whoever they were meant for', async () => {
    const spool = join(dir, 'spool');
    const now = 1_800_000_000_000;
    const day = 86_400_000;
    spoolHook(spool, { hook_event_name: 'Stop', received_at: now - 8 * day, url: 'http://127.0.0.1:4100', body: { session_id: 'old-mine' } });
    spoolHook(spool, { hook_event_name: 'Stop', received_at: now - 8 * day, url: 'http://127.0.0.1:4200', body: { session_id: 'old-theirs' } });
    spoolHook(spool, { hook_event_name: 'Stop', received_at: now - 6 * day, url: 'http://127.0.0.1:4200', body: { session_id: 'theirs' } });
    spoolHook(spool, { hook_event_name: 'Stop', received_at: now - 1000, url: 'http://127.0.0.1:4100', body: { session_id: 'mine' } });
    const bus = createBus();
    const result = await replaySpool(spool, bus.publish, (r) => spoolTargets(r.url, '127.0.0.1', 4100), { maxAgeMs: 7 * day, now: () => now });
    expect(result).toEqual({ replayed: 1, skipped: [], expired: 2 });
    expect(bus.history({}).events.map((e) => e.event.session_id)).toEqual(['mine']);
    const left = readdirSync(spool).flatMap((f) => readFileSync(join(spool, f), 'utf8').trim().split('\n')).map((l) => JSON.parse(l).body.session_id);
    expect(left).toEqual(['theirs']);
  });

  test('a spooled hook is held to the name rule of POST /hooks/EVENT: the body\'s name, else skipped with the reason', async () => {
    const spool = join(dir, 'spool');
    const at = Date.now();
    spoolHook(spool, { hook_event_name: 'bad name!', received_at: at, body: { session_id: 'a', hook_event_name: 'Stop' } });
    spoolHook(spool, { hook_event_name: 'component.started', received_at: at, body: { session_id: 'b' } });
    const bus = createBus();
    const result = await replaySpool(spool, bus.publish, undefined, { resolveName: resolveHookName });
    expect(result.replayed).toBe(1);
    expect(result.skipped).toEqual([{ file: expect.any(String), line: 2, reason: expect.stringMatching(/^hook event name "component\.started" refused: event_type: .* is reserved/) }]);
    expect(bus.history({}).events.map((e) => [e.event.event_type, e.event.session_id])).toEqual([['Stop', 'a']]);
  });

  test('a URL targets a bus by port and host, loopback names being one', () => {
    expect(spoolTargets('http://127.0.0.1:4000', '127.0.0.1', 4000)).toBe(true);
    expect(spoolTargets('http://localhost:4000', '127.0.0.1', 4000)).toBe(true);
    expect(spoolTargets('http://[::1]:4000/', '127.0.0.1', 4000)).toBe(true);
    expect(spoolTargets('http://127.0.0.1:4000', '0.0.0.0', 4000)).toBe(true);
    expect(spoolTargets(undefined, '127.0.0.1', 4000)).toBe(true);
    expect(spoolTargets('http://127.0.0.1:4001', '127.0.0.1', 4000)).toBe(false);
    expect(spoolTargets('http://10.0.0.5:4000', '127.0.0.1', 4000)).toBe(false);
    expect(spoolTargets('http://example.com', '127.0.0.1', 80)).toBe(false);
    expect(spoolTargets('not a url', '127.0.0.1', 4000)).toBe(false);
  });

  test('a missing spool directory replays nothing', async () => {
    expect(await replaySpool(join(dir, 'none'), createBus().publish)).toEqual({ replayed: 0, skipped: [], expired: 0 });
  });
});
