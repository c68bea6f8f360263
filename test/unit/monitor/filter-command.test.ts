import { describe, expect, it } from 'vitest';
import { describeFilter, parsePromptLine } from '../../../src/monitor/filter-command.js';

describe('parsePromptLine', () => {
  it('sets, replaces and clears one key at a time', () => {
    const a = parsePromptLine('type component.*', {});
    expect(a).toEqual({ kind: 'filter', filter: { event_type: 'component.*' } });
    const b = parsePromptLine('source ticker', { event_type: 'component.*' });
    expect(b).toEqual({ kind: 'filter', filter: { event_type: 'component.*', source: 'ticker' } });
    const c = parsePromptLine('type', { event_type: 'component.*', source: 'ticker' });
    expect(c).toEqual({ kind: 'filter', filter: { source: 'ticker' } });
    expect(parsePromptLine('session abc-123', {})).toEqual({ kind: 'filter', filter: { session_id: 'abc-123' } });
    expect(parsePromptLine('host buildbox', { source: 's' })).toEqual({ kind: 'filter', filter: { source: 's', host: 'buildbox' } });
    expect(parsePromptLine('host', { host: 'buildbox' })).toEqual({ kind: 'filter', filter: {} });
  });

  it('joins a type list typed with spaces', () => {
    expect(parsePromptLine('type component.*, tmux.*', {})).toEqual({ kind: 'filter', filter: { event_type: 'component.*,tmux.*' } });
  });

  it('knows clear, q, help, empty lines and says what is wrong otherwise', () => {
    expect(parsePromptLine('clear', { source: 'x' })).toEqual({ kind: 'filter', filter: {} });
    expect(parsePromptLine('  q ', {})).toEqual({ kind: 'quit' });
    expect(parsePromptLine('help', {})).toEqual({ kind: 'help' });
    expect(parsePromptLine('   ', {})).toEqual({ kind: 'none' });
    const bad = parsePromptLine('colour red', {});
    expect(bad.kind).toBe('error');
    expect(bad.kind === 'error' && bad.message).toMatch(/unknown command "colour"/);
  });

  it('describes a filter in one line', () => {
    expect(describeFilter({})).toBe('all events');
    expect(describeFilter({ event_type: 'a.*', source: 's', session_id: 'x' })).toBe('type=a.* source=s session=x');
    expect(describeFilter({ host: 'a,b' })).toBe('host=a,b');
  });
});
