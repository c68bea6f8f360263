import { describe, expect, test } from 'vitest';
import { UsageError } from '../../../src/cli/args.js';
import { formatEventLine, summarizeEvent } from '../../../src/cli/event-line.js';
import { parseTimeArg } from '../../../src/cli/time-arg.js';
import { generateTestEvent } from '../../../src/schema/events.js';

describe('parseTimeArg', () => {
  const now = 1_800_000_000_000;
  test('accepts ms, ISO dates and ages', () => {
    expect(parseTimeArg('1732790000000', '--since', now)).toBe(1732790000000);
    expect(parseTimeArg('2026-11-28T10:00:00Z', '--since', now)).toBe(Date.parse('2026-11-28T10:00:00Z'));
    expect(parseTimeArg('5m', '--since', now)).toBe(now - 300_000);
    expect(parseTimeArg('1h', '--since', now)).toBe(now - 3_600_000);
    expect(parseTimeArg('1.5s', '--since', now)).toBe(now - 1500);
  });
  test('anything else is a usage error naming the option and the value', () => {
    expect(() => parseTimeArg('yesterday', '--until', now)).toThrow(UsageError);
    expect(() => parseTimeArg('5 parsecs', '--since', now)).toThrow(/--since "5 parsecs"/);
  });
});

describe('event lines', () => {
  test('summaries come from the fields each kind of event has', () => {
    expect(summarizeEvent(generateTestEvent('PreToolUse', { summary: undefined, payload: { tool_name: 'Bash', tool_input: { command: 'ls -la' } } }))).toBe('Bash ls -la');
    const base = { id: '00000000-0000-4000-8000-000000000000', timestamp: 1, source: 'corral', session_id: 's', version: '1.0' as const };
    expect(summarizeEvent({ ...base, event_type: 'component.stopped', payload: { component: 'router', reason: 'crashed' } })).toBe('router crashed');
    expect(summarizeEvent({ ...base, event_type: 'error.CMP002', payload: { component: 'router', error_message: 'crash loop' } })).toBe('router: crash loop');
    expect(summarizeEvent({ ...base, event_type: 'x', payload: {} })).toBe('');
  });
  test('no colour codes when colour is off; one line even for multi-line summaries', () => {
    const line = formatEventLine(generateTestEvent('UserPromptSubmit', { summary: 'two\nlines' }), false);
    expect(line.includes('\u001b') || line.includes('\n')).toBe(false);
    expect(line).toMatch(/UserPromptSubmit +test-generator\/test two lines$/);
  });
});
