import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { hookToEvent } from '../../../src/bus/hook-event.js';
import { replaySpool, spoolHook } from '../../../src/bus/spool.js';
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
      expect(result).toEqual({ replayed: 2, skipped: [] });
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

  test('a missing spool directory replays nothing', async () => {
    expect(await replaySpool(join(dir, 'none'), createBus().publish)).toEqual({ replayed: 0, skipped: [] });
  });
});
