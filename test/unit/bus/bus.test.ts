import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { createEventStore } from '../../../src/bus/store.js';
import type { BusEntry, EventStore } from '../../../src/bus/types.js';
import { makeError } from '../../../src/schema/errors.js';

let dir: string;
const stores: EventStore[] = [];
function openStore(): EventStore {
  const s = createEventStore({ file: join(dir, 'events.db') });
  stores.push(s);
  return s;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-bus-'));
});
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const input = (event_type: string, extra: Record<string, unknown> = {}) => ({ event_type, source: 'test', session_id: 's', ...extra });

describe('bus', () => {
  test('completes, numbers and delivers synchronously to matching subscribers only', () => {
    const bus = createBus({ now: () => 42 });
    const components: BusEntry[] = [];
    const all: BusEntry[] = [];
    bus.subscribe({ event_type: 'component.*' }, (e) => components.push(e));
    bus.subscribe({}, (e) => all.push(e));
    const r1 = bus.publish(input('component.started'));
    const r2 = bus.publish(input('resource.alert'));
    expect(r1.ok && r2.ok).toBe(true);
    expect(components.map((e) => e.seq)).toEqual([1]);
    expect(all.map((e) => e.seq)).toEqual([1, 2]);
    const e = all[0]!;
    expect(e.event).toMatchObject({ version: '1.0', timestamp: 42, payload: {} });
    expect(JSON.parse(e.json)).toEqual(e.event);
    // One serialisation, shared by every subscriber.
    expect(components[0]).toBe(all[0]);
  });

  test('a throwing listener does not keep the event from the others', () => {
    const errors: unknown[] = [];
    const bus = createBus({ onListenerError: (err) => errors.push(err) });
    const got: number[] = [];
    bus.subscribe({}, () => {
      throw new Error('boom');
    });
    bus.subscribe({}, (e) => got.push(e.seq));
    bus.publish(input('x'));
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  test('unsubscribe stops delivery; subscriberCount follows', () => {
    const bus = createBus();
    const got: number[] = [];
    const off = bus.subscribe({}, (e) => got.push(e.seq));
    expect(bus.subscriberCount()).toBe(1);
    bus.publish(input('a'));
    off();
    bus.publish(input('b'));
    expect(got).toEqual([1]);
    expect(bus.subscriberCount()).toBe(0);
  });

  test('an invalid event is refused with WS003 naming the field', () => {
    const bus = createBus();
    const r = bus.publish({ event_type: 'x', session_id: 's', timestamp: -1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.error_code).toBe('WS003');
    expect(r.error.error_message).toMatch(/timestamp/);
    expect(r.error.error_message).toMatch(/source/);
  });

  test('secrets are masked before delivery and storage', async () => {
    const store = openStore();
    const bus = createBus({ store });
    let seen = '';
    bus.subscribe({}, (e) => (seen = e.json));
    const r = bus.publish(input('x', { payload: { password: 'hunter2', cmd: 'curl -H "Authorization: Bearer abcdefghijkl"' } }));
    if (!r.ok) throw new Error(r.error.error_message);
    await r.stored;
    expect(seen).not.toMatch(/hunter2|abcdefghijkl/);
    expect(store.query({}).events[0]!.json).toBe(seen);
  });

  test('publishError stores an error.CODE event from corral', async () => {
    const store = openStore();
    const bus = createBus({ store, sessionId: 'daemon-1' });
    const r = bus.publishError(makeError('CMP002', 'router', 'crash loop'));
    if (!r.ok) throw new Error(r.error.error_message);
    await r.stored;
    const [e] = bus.history({ event_type: 'error.*' }).events;
    expect(e!.event).toMatchObject({ event_type: 'error.CMP002', source: 'corral', session_id: 'daemon-1', payload: { error_code: 'CMP002', component: 'router' } });
  });

  test('seq continues from the store after a restart', async () => {
    const store = openStore();
    const bus = createBus({ store });
    for (let i = 0; i < 3; i++) bus.publish(input('x'));
    store.close();
    const bus2 = createBus({ store: openStore() });
    const r = bus2.publish(input('y'));
    expect(r.ok && r.entry.seq).toBe(4);
  });

  test('a subscriber with `after` only gets newer seqs; history works without a store', () => {
    const bus = createBus();
    bus.publish(input('a'));
    bus.publish(input('b'));
    const got: number[] = [];
    bus.subscribe({ after: 2 }, (e) => got.push(e.seq));
    bus.publish(input('c'));
    expect(got).toEqual([3]);
    expect(bus.history({ event_type: 'a,c' }).events.map((e) => e.seq)).toEqual([1, 3]);
    expect(bus.history({}, { order: 'desc', limit: 1 })).toMatchObject({ next_cursor: '3' });
  });
});
