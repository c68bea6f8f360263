import { describe, expect, it } from 'vitest';
import { EventInputSchema, fastEventInput, generateTestEvent } from '../../../src/schema/events.js';

// The hand-written check of the publish path must agree with the zod schema:
// whatever it accepts, zod accepts and parses to the same thing (same keys in
// the same order); whatever zod refuses, it refuses.
const base = { source: 'x', session_id: 's', event_type: 't' };
const cases: Record<string, unknown> = {
  minimal: base,
  full: generateTestEvent('PreToolUse', { chat: [{ role: 'user', content: 'hi' }], model_name: 'm' }),
  'unknown keys first': { extra: 1, ...base, more: { a: [1, 2] } },
  'payload undefined': { ...base, payload: undefined },
  'payload null': { ...base, payload: null },
  'payload array': { ...base, payload: [1] },
  'payload date': { ...base, payload: new Date(0) },
  'id not a uuid': { ...base, id: 'abc' },
  'id uppercase uuid': { ...base, id: '0000000A-0000-4000-8000-00000000000B' },
  'timestamp negative': { ...base, timestamp: -1 },
  'timestamp NaN': { ...base, timestamp: Number.NaN },
  'timestamp Infinity': { ...base, timestamp: Number.POSITIVE_INFINITY },
  'timestamp string': { ...base, timestamp: '1' },
  'timestamp zero': { ...base, timestamp: 0 },
  'version 2.0': { ...base, version: '2.0' },
  'version 1.0': { ...base, version: '1.0' },
  'no source': { session_id: 's', event_type: 't' },
  'empty source': { ...base, source: '' },
  'source 256': { ...base, source: 'a'.repeat(256) },
  'source 257': { ...base, source: 'a'.repeat(257) },
  'session empty': { ...base, session_id: '' },
  'session 257': { ...base, session_id: 'a'.repeat(257) },
  'session number': { ...base, session_id: 1 },
  'event_type empty': { ...base, event_type: '' },
  'source_app number': { ...base, source_app: 1 },
  'hook_event_type 257': { ...base, hook_event_type: 'h'.repeat(257) },
  'summary long': { ...base, summary: 's'.repeat(5000) },
  'model_name 257': { ...base, model_name: 'm'.repeat(257) },
  'chat not array': { ...base, chat: {} },
  'chat item null': { ...base, chat: [null] },
  'chat role number': { ...base, chat: [{ role: 1 }] },
  'chat ok': { ...base, chat: [{ role: 'assistant', content: [{ type: 'text' }] }, {}] },
  'own __proto__': JSON.parse('{"source":"x","session_id":"s","event_type":"t","__proto__":{"a":1}}'),
  array: [base],
  null: null,
  string: 'event',
};

describe('fastEventInput agrees with EventInputSchema', () => {
  it.each(Object.entries(cases))('%s', (_name, input) => {
    const zod = EventInputSchema.safeParse(input);
    const fast = fastEventInput(input);
    if (!zod.success) expect(fast).toBeNull();
    if (fast !== null) {
      expect(zod.success).toBe(true);
      expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
      expect(Object.keys(fast)).toEqual(Object.keys(zod.data!));
    }
  });

  it('takes the fast path for the events the bus sees most', () => {
    expect(fastEventInput(cases.full)).not.toBeNull();
    expect(fastEventInput(cases.minimal)).not.toBeNull();
    expect(fastEventInput(cases['unknown keys first'])).not.toBeNull();
  });
});
