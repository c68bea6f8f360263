import { describe, expect, it } from 'vitest';
import { makeError } from '../../../src/schema/errors.js';
import { connectReady, type TestClient, type Message, type TestServer, startTestServer, useTestServer } from './helpers.js';

// What one client says must not pass for what corral says: an error event it
// publishes is an ordinary event, and a name it registers after another
// client does not make the bus report the other's start or stop.

let srv: TestServer | undefined;
useTestServer();

const ofType = (c: TestClient, type: string) => c.messages.filter((m) => m.type === 'event' && m.data.event_type === type).map((m) => m.data);

describe('forged and borrowed identities', () => {
  it("a client's error.* event is broadcast as an event, never as an `error` message; corral's own errors still are", async () => {
    srv = await startTestServer();
    const watcher = await connectReady(srv.wsUrl());
    const forger = await connectReady(srv.wsUrl());
    forger.send({ type: 'event', data: { event_type: 'error.CMP002', source: 'forger', session_id: 's', payload: makeError('CMP002', 'forger', 'everything crashed') } });
    forger.send({ type: 'event', data: { event_type: 'forger.done', source: 'forger', session_id: 's', payload: {} } });
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'forger.done', 'the event after the forged one');
    expect(forger.messages.filter((m: Message) => m.type === 'error')).toEqual([]);
    expect(ofType(watcher, 'error.CMP002')).toHaveLength(1);
    expect(watcher.messages.filter((m: Message) => m.type === 'error')).toEqual([]);
    srv.bus.publishError(makeError('CMP002', 'web', 'web is crash-looping'));
    const err = await watcher.waitFor((m) => m.type === 'error', "corral's own error");
    expect(err.data).toMatchObject({ error_code: 'CMP002', component: 'web' });
  });

  it('a second client registering the same name and dropping publishes nothing for it; the first one’s stop is its own', async () => {
    srv = await startTestServer();
    const watcher = await connectReady(srv.wsUrl('?event_type=component.*,ws.*'));
    const first = await connectReady(srv.wsUrl());
    first.send({ type: 'register', data: { component: 'tool' } });
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.started', 'the first started');
    const second = await connectReady(srv.wsUrl());
    second.send({ type: 'register', data: { component: 'tool' } });
    second.close();
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'ws.disconnected' && m.data.payload.component === 'tool', 'the second disconnected');
    expect(ofType(watcher, 'component.started')).toHaveLength(1);
    expect(ofType(watcher, 'component.stopped')).toEqual([]);
    const firstId = ofType(watcher, 'component.started')[0].payload.client_id as string;
    first.ws.close(1000);
    const stopped = await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.stopped', 'the first stopped');
    expect(stopped.data.payload).toMatchObject({ component: 'tool', client_id: firstId, reason: 'stopped' });
  });

  it('when the first client leaves while a second holds the name, the second takes it over with its own started', async () => {
    srv = await startTestServer();
    const watcher = await connectReady(srv.wsUrl('?event_type=component.*'));
    const first = await connectReady(srv.wsUrl());
    first.send({ type: 'register', data: { component: 'tool' } });
    await watcher.waitFor((m) => m.type === 'event' && m.data.event_type === 'component.started', 'the first started');
    const second = await connectReady(srv.wsUrl());
    second.send({ type: 'register', data: { component: 'tool' } });
    // The register is handled before the ping's answer: after it, the second has registered.
    const pong = new Promise<void>((resolve) => second.ws.once('pong', () => resolve()));
    second.ws.ping();
    await pong;
    first.ws.close(1000);
    await watcher.waitFor((m) => m.type === 'event' && ofType(watcher, 'component.started').length === 2, 'the second started');
    const [started1, started2] = ofType(watcher, 'component.started');
    const [stopped1] = ofType(watcher, 'component.stopped');
    expect(stopped1.payload.client_id).toBe(started1.payload.client_id);
    expect(started2.payload.client_id).not.toBe(started1.payload.client_id);
  });
});
