import { describe, expect, test } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import { publishOwn, publishOwnEvent } from '../../../src/bus/own-events.js';
import type { StartedPayload } from '../../../src/schema/payloads.js';

const started: StartedPayload = { component: 'web', pid: 42, generation: 1, plugin: 'process', command: 'node web.js' };

describe('publishOwn', () => {
  test('stamps corral as the source and the daemon run as the session', () => {
    const bus = createBus({ sessionId: 'run-1' });
    const r = publishOwn(bus, 'component.started', started);
    if (!r.ok) throw new Error(r.error.error_message);
    expect(r.entry.event).toMatchObject({ source: 'corral', session_id: 'run-1', event_type: 'component.started', payload: started });
  });

  test('a component registered over the bus has no command, and its type says so', () => {
    const bus = createBus({ sessionId: 'run-1' });
    const r = publishOwn(bus, 'component.started', { component: 'agent', pid: null, generation: 1, plugin: 'websocket', command: null, client_id: 'c1' });
    expect(r.ok && r.entry.event.payload).toMatchObject({ command: null, pid: null });
  });

  test('an event paired with its payload is published the same way', () => {
    const bus = createBus({ sessionId: 'run-1' });
    const r = publishOwnEvent(bus, { event_type: 'tmux.session.created', payload: { session: 'eco', window: null, change: 'added' } });
    expect(r.ok && r.entry.event).toMatchObject({ source: 'corral', session_id: 'run-1', event_type: 'tmux.session.created' });
  });

  test('the payload type follows from the event type (checked by tsc)', () => {
    const bus = createBus();
    // @ts-expect-error a component.started payload needs pid, generation, plugin and command
    publishOwn(bus, 'component.started', { component: 'web' });
    // @ts-expect-error config.changed has no such payload
    publishOwn(bus, 'config.changed', started);
    // @ts-expect-error not an event type corral publishes itself
    publishOwn(bus, 'component.exploded', {});
    expect(bus.lastSeq()).toBe(3);
  });
});
