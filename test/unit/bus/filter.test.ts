import { describe, expect, test } from 'vitest';
import { compileFilter } from '../../../src/bus/filter.js';
import type { CorralEvent } from '../../../src/schema/events.js';

function ev(over: Partial<CorralEvent>): CorralEvent {
  return { id: '00000000-0000-4000-8000-000000000000', timestamp: 1000, source: 'corral', session_id: 's1', event_type: 'component.started', version: '1.0', payload: {}, ...over };
}

describe('compileFilter', () => {
  test('an empty filter matches everything', () => {
    expect(compileFilter({})(ev({}))).toBe(true);
  });

  test('event_type: exact, comma list, prefix with *', () => {
    expect(compileFilter({ event_type: 'component.started' })(ev({}))).toBe(true);
    expect(compileFilter({ event_type: 'component.start' })(ev({}))).toBe(false);
    const list = compileFilter({ event_type: 'resource.alert, component.stopped' });
    expect(list(ev({ event_type: 'resource.alert' }))).toBe(true);
    expect(list(ev({ event_type: 'component.stopped' }))).toBe(true);
    expect(list(ev({ event_type: 'component.started' }))).toBe(false);
    const prefix = compileFilter({ event_type: 'component.*,error.*' });
    expect(prefix(ev({ event_type: 'component.health' }))).toBe(true);
    expect(prefix(ev({ event_type: 'error.CMP002' }))).toBe(true);
    expect(prefix(ev({ event_type: 'componentX' }))).toBe(false);
    expect(compileFilter({ event_type: '*' })(ev({ event_type: 'anything' }))).toBe(true);
  });

  test('source and session_id are exact', () => {
    const f = compileFilter({ source: 'router', session_id: 'abc' });
    expect(f(ev({ source: 'router', session_id: 'abc' }))).toBe(true);
    expect(f(ev({ source: 'router', session_id: 'abcd' }))).toBe(false);
    expect(f(ev({ source: 'routerX', session_id: 'abc' }))).toBe(false);
  });

  test('source and session_id take comma lists, as event_type does', () => {
    const f = compileFilter({ source: 'alice, bob', session_id: 's1,s2,' });
    expect(f(ev({ source: 'alice' }))).toBe(true);
    expect(f(ev({ source: 'bob', session_id: 's2' }))).toBe(true);
    expect(f(ev({ source: 'alice,bob' }))).toBe(false);
    expect(f(ev({ source: 'carol' }))).toBe(false);
    expect(f(ev({ source: 'bob', session_id: 's3' }))).toBe(false);
  });

  test('since and until are inclusive', () => {
    const f = compileFilter({ since: 100, until: 200 });
    expect(f(ev({ timestamp: 99 }))).toBe(false);
    expect(f(ev({ timestamp: 100 }))).toBe(true);
    expect(f(ev({ timestamp: 200 }))).toBe(true);
    expect(f(ev({ timestamp: 201 }))).toBe(false);
  });

  test('all conditions must hold together', () => {
    const f = compileFilter({ event_type: 'component.*', source: 'corral', since: 500 });
    expect(f(ev({}))).toBe(true);
    expect(f(ev({ timestamp: 10 }))).toBe(false);
    expect(f(ev({ source: 'x' }))).toBe(false);
  });
});
