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
  test('config.changed is its plan in one line, not raw JSON', () => {
    const base = { id: '00000000-0000-4000-8000-000000000000', timestamp: 1, source: 'corral', session_id: 's', version: '1.0' as const, event_type: 'config.changed' };
    const plan = { added: ['d'], removed: ['c'], restarted: ['b'], updated: ['a', 'e'], settings: [], unchanged: 1, hash: 'f'.repeat(64), trigger: 'file' };
    expect(summarizeEvent({ ...base, payload: plan })).toBe('+d −c ↻b ~a ~e, 1 unchanged (file)');
    // Only ecosystem-wide settings or bus settings: they are what changed, not "nothing".
    const settings = { ...plan, added: [], removed: [], restarted: [], updated: [], unchanged: 3, settings: ['logs', 'resources'], trigger: 'SIGHUP' };
    expect(summarizeEvent({ ...base, payload: settings })).toBe('settings: logs resources, 3 unchanged (SIGHUP)');
    const bus = { ...settings, settings: [], bus: { changed: ['port'], rebind: true }, trigger: 'api' };
    expect(summarizeEvent({ ...base, payload: bus })).toBe('bus: port (to a new address), 3 unchanged (api)');
    const again = { ...settings, settings: [], valid_again: true, trigger: 'file' };
    expect(summarizeEvent({ ...base, payload: again })).toBe('valid again, nothing to apply, 3 unchanged (file)');
    // A payload without the plan's fields (an older daemon's, say) still makes a line.
    expect(summarizeEvent({ ...base, payload: { added: 'x' } })).toBe('no changes');
    const line = formatEventLine({ ...base, payload: plan }, false);
    expect(line).toMatch(/ config\.changed +corral \+d −c ↻b ~a ~e, 1 unchanged \(file\)$/);
    expect(line).not.toContain('{');
  });
  test('no colour codes when colour is off; one line even for multi-line summaries', () => {
    const line = formatEventLine(generateTestEvent('UserPromptSubmit', { summary: 'two\nlines' }), false);
    expect(line.includes('\u001b') || line.includes('\n')).toBe(false);
    expect(line).toMatch(/UserPromptSubmit +test-generator\/test two lines$/);
  });
});
