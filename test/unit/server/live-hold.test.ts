import { describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus, BusEntry } from '../../../src/bus/types.js';
import { subscribeWithPage } from '../../../src/server/live-hold.js';
import { createMemoryBudget } from '../../../src/server/memory-budget.js';
import { waitFor } from '../../helpers/wait-for.js';

// subscribeWithPage over a real bus (its in-memory history): the page, then the
// events held while it was read, then live events, each once; and the bus's
// subscription is gone whenever the connection stops, even from inside the send.

function publish(bus: Bus, i: number): void {
  const r = bus.publish({ event_type: 'x.y', source: 't', session_id: 's', payload: { i } });
  if (!r.ok) throw new Error(r.error.error_message);
}

const iOf = (e: BusEntry): number => (e.event.payload as { i: number }).i;

/** A connection's outbound side that records what it was given, in order. */
function recorder(onPage: () => void = () => {}) {
  const sent: (string | number)[] = [];
  return {
    sent,
    outbound: {
      deliver: (e: BusEntry) => void sent.push(iOf(e)),
      sendPage: (frame: Buffer) => {
        sent.push(`page ${(JSON.parse(frame.subarray(4).toString()) as { data: unknown[] }).data.length}`);
        onPage();
      },
    },
  };
}

function subscribe(bus: Bus, outbound: ReturnType<typeof recorder>['outbound']) {
  return subscribeWithPage({
    bus,
    filter: {},
    count: 100,
    room: 1024 * 1024,
    budget: createMemoryBudget(),
    hardLimit: 16 * 1024 * 1024,
    outbound,
    guarded: (step) => step(),
    tooMany: () => {
      throw new Error('too many');
    },
  });
}

describe('subscribeWithPage', () => {
  it('sends the page, then what was published while it was read, then live events, each once, on one subscription', async () => {
    const bus = createBus({ sessionId: 's', memoryHistory: 1000 });
    for (let i = 0; i < 3; i++) publish(bus, i);
    const { sent, outbound } = recorder();
    const stop = subscribe(bus, outbound);
    // The page is read on a later turn: these are held meanwhile.
    publish(bus, 3);
    publish(bus, 4);
    expect(sent).toEqual([]);
    await waitFor('the page and the held events', () => sent.length === 3, { detail: () => sent });
    expect(sent).toEqual(['page 3', 3, 4]);
    publish(bus, 5);
    publish(bus, 6);
    expect(sent).toEqual(['page 3', 3, 4, 5, 6]);
    expect(bus.subscriberCount()).toBe(1);
    stop();
    publish(bus, 7);
    expect(sent).toEqual(['page 3', 3, 4, 5, 6]);
    expect(bus.subscriberCount()).toBe(0);
  });

  it('leaves no subscription behind when sending the page stops the connection', async () => {
    const bus = createBus({ sessionId: 's', memoryHistory: 1000 });
    publish(bus, 0);
    let stop: () => void = () => {};
    let paged = false;
    const { sent, outbound } = recorder(() => {
      paged = true;
      stop();
    });
    stop = subscribe(bus, outbound);
    publish(bus, 1);
    await waitFor('the page', () => paged);
    expect(bus.subscriberCount()).toBe(0);
    publish(bus, 2);
    expect(sent).toEqual(['page 1']);
  });
});
