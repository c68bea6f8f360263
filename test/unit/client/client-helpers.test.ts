import { describe, expect, test } from 'vitest';
import { backoffDelay } from '../../../src/client/backoff.js';
import { busUrl } from '../../../src/client/url.js';

describe('busUrl', () => {
  test('turns the daemon URL into the bus URL with filters, cursor and token', () => {
    expect(busUrl('http://127.0.0.1:4000', { event_type: 'component.*', after: 12 }, 'tok')).toBe(
      'ws://127.0.0.1:4000/events?event_type=component.*&after=12&token=tok',
    );
    expect(busUrl('ws://localhost:9/custom', {})).toBe('ws://localhost:9/custom');
    expect(busUrl('https://h', { since: 5 })).toBe('wss://h/events?since=5');
  });

  test('a bad URL is an error naming it', () => {
    expect(() => busUrl('nope', {})).toThrow(/invalid daemon URL "nope"/);
    expect(() => busUrl('ftp://h', {})).toThrow(/protocol/);
  });
});

describe('backoffDelay', () => {
  test('doubles from initial up to max, with half of it jittered', () => {
    const o = { initial: 100, max: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
  });
});
