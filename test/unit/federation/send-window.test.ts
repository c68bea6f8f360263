import type { JetStreamClient } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import type { BusEntry } from '../../../src/bus/types.js';
import { sendWindowed, WINDOW } from '../../../src/federation/send-window.js';

// The forwarder's sliding window against a JetStream client whose acks the
// test settles by hand: order, the bound on what is in flight, and a cursor
// that only ever moves past the acknowledged prefix.

interface Pending {
  id: string;
  resolve(): void;
  reject(err: Error): void;
}

function fakeClient() {
  const sent: Pending[] = [];
  const client = {
    publish(_subject: string, _data: string, opts: { msgID: string }) {
      return new Promise<unknown>((resolve, reject) => sent.push({ id: opts.msgID, resolve: () => resolve({ stream: 'S', seq: 1 }), reject }));
    },
  } as unknown as JetStreamClient;
  return { client, sent };
}

const entries = (n: number): BusEntry[] => Array.from({ length: n }, (_, i) => ({ seq: i + 1, json: '{}', event: { id: `e${i + 1}`, event_type: 't', source: 's', session_id: 's', timestamp: 0, payload: {} } as BusEntry['event'] }));
const tick = () => new Promise<void>((r) => setImmediate(r));

function run(all: BusEntry[], client: JetStreamClient) {
  const moves: number[] = [];
  const done = sendWindowed({
    client,
    prefix: 'corral',
    host: 'a',
    cursor: 0,
    read: (after, limit) => ({ events: all.filter((e) => e.seq > after).slice(0, limit), next_cursor: null }),
    moved: (c) => void moves.push(c),
    live: () => true,
    onWake: () => {},
  });
  return { done, moves };
}

describe('sendWindowed', () => {
  it('sends in seq order, never more than WINDOW awaiting their ack, and ends at the last seq', async () => {
    const { client, sent } = fakeClient();
    const all = entries(WINDOW + 300);
    const { done, moves } = run(all, client);
    await tick();
    expect(sent).toHaveLength(WINDOW);
    expect(sent.map((p) => p.id)).toEqual(all.slice(0, WINDOW).map((e) => e.event.id));
    // Acks free room: the rest goes, still in order.
    for (let i = 0; i < 300; i++) sent[i]!.resolve();
    await tick();
    await tick();
    expect(sent).toHaveLength(WINDOW + 300);
    expect(sent.map((p) => p.id)).toEqual(all.map((e) => e.event.id));
    for (const p of sent.slice(300)) p.resolve();
    expect(await done).toBeNull();
    expect(moves.at(-1)).toBe(WINDOW + 300);
  });

  it('after a failed publish sends nothing more, and the cursor stops before it even when later ones were acknowledged', async () => {
    const { client, sent } = fakeClient();
    const all = entries(WINDOW + 10);
    const { done, moves } = run(all, client);
    await tick();
    sent[0]!.resolve();
    sent[1]!.resolve();
    sent[2]!.reject(new Error('timeout'));
    for (const p of sent.slice(3)) p.resolve();
    const failure = await done;
    expect(failure?.message).toBe('timeout');
    expect(sent).toHaveLength(WINDOW);
    expect(moves.at(-1)).toBe(2);
  });
});
