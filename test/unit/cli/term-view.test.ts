import { describe, expect, it } from 'vitest';
import type { CorralEvent } from '../../../src/schema/events.js';
import { formatEventLine as eventsLine } from '../../../src/cli/event-line.js';
import { formatEventLine as monitorLine } from '../../../src/monitor/render.js';
import { describeConfigError } from '../../../src/cli/up-view.js';
import { fitLine } from '../../../src/cli/fg-logs.js';
import { renderComponents } from '../../../src/cli/format.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';
import { parsePort, withPortOverride } from '../../../src/config/port-override.js';
import { fallbackUrl } from '../../../src/cli/daemon-client.js';
import type { LoadResult } from '../../../src/config/load.js';

const stopped: CorralEvent = {
  id: '00000000-0000-4000-8000-000000000001',
  timestamp: Date.now(),
  source: 'corral',
  session_id: 'corral_1700000000000_abcdef12',
  event_type: 'component.stopped',
  version: '1.0',
  payload: { component: 'web', pid: 42, generation: 3, exit_code: 1, signal: null, reason: 'crashed', runtime_ms: 120, restarts: 2, next_restart_in_ms: 1500, cause: 'health check failed (HTTP 500)' },
};

describe('one event line', () => {
  it('corral events: exit code, restarts, next restart and cause on one line', () => {
    const line = eventsLine(stopped, false, 200);
    expect(line).toContain('web crashed (exit code 1) · restarts 2 · next restart in 1.5s · cause: health check failed (HTTP 500)');
    expect(line).not.toContain('\n');
    // At 80 columns the summary keeps the room the time, type and source leave.
    expect(eventsLine(stopped, false, 80)).toContain('web crashed (exit code 1) · restarts');
  });

  it('monitor at 80 columns keeps the detail and drops the session and source columns', () => {
    const narrow = monitorLine(stopped, 80, false);
    expect(narrow.length).toBeLessThanOrEqual(80);
    expect(narrow).toContain('web crashed (exit code 1) · restarts 2');
    expect(narrow).not.toContain('corr…def12');
    const wide = monitorLine(stopped, 160, false);
    expect(wide).toContain('corr…def12');
    expect(wide).toContain('next restart in 1.5s · cause: health check failed');
  });
});

describe('the live view', () => {
  it('describes a CFG001 by its count, short, pointing to corral validate', () => {
    const e = { ...stopped, event_type: 'error.CFG001', payload: { error_code: 'CFG001', error_message: 'x', context: { file: '/p/corral.yaml', errors: [{ path: 'components.a.command', line: 4, message: 'expected a string' }, { path: 'b', message: 'y' }] } } };
    const line = describeConfigError(e);
    expect(line).toBe('config invalid (2 errors; running config unchanged) — corral validate');
    expect(line.length).toBeLessThan(80);
  });

  it('cuts lines to the width, colour codes not counted', () => {
    expect(fitLine('abcdef', 10)).toBe('abcdef');
    expect(fitLine('abcdef', 4)).toBe('abc…');
    expect(fitLine('\x1b[32mabcdef\x1b[0m', 4)).toBe('\x1b[32mabc…\x1b[0m');
    expect(fitLine('\x1b[32mab\x1b[0m', 2)).toBe('\x1b[32mab\x1b[0m');
  });
});

describe('the component table at 80 columns', () => {
  const row = (name: string, over: Partial<ComponentInfo> = {}): ComponentInfo => ({
    name, plugin: '../plugins/http-echo/index.js', state: 'running', pid: 123456, generation: 1, uptime_ms: 3_723_000, ready_after_ms: 0, restarts: 0,
    health: 'healthy', reason: null, cpu_percent: 1.5, memory_mb: 42.3, next_restart_in_ms: null, last_exit: null, exits: 0, depends_on: {}, ...over,
  });
  const list = [row('frontend-server'), row('worker-queue', { state: 'failed', health: null, pid: null, restarts: 10, reason: 'exit code 1 after 10 restarts (cpu 1%)' })];

  it('drops PLUGIN, then UPTIME or CPU, so the REASON keeps its room', () => {
    const lines = renderComponents(list, false, 79).trimEnd().split('\n');
    expect(lines[0]).toMatch(/REASON$/);
    expect(lines[0]).not.toContain('PLUGIN');
    expect(lines[2]).toContain('exit code 1 after 10');
    // Cut to the width as the live view cuts it, the reason still says why.
    expect(fitLine(lines[2]!, 79)).toContain('exit code 1 after');
    expect(lines[0]).toContain('RESTARTS');
    expect(lines[0]).toContain('STATE');
  });

  it('keeps every column when it is wide enough, or without a width (a pipe)', () => {
    expect(renderComponents(list, false, 200).split('\n')[0]).toContain('PLUGIN');
    expect(renderComponents(list, false).split('\n')[0]).toContain('PLUGIN');
    // Without a REASON nothing is dropped: the line is cut as before.
    expect(renderComponents([row('a')], false, 60).split('\n')[0]).toContain('PLUGIN');
  });
});

describe('port', () => {
  it('CORRAL_PORT overrides bus.port; a bad value is a config error', () => {
    const ok = { ok: true, config: { bus: { port: 4000, host: '127.0.0.1' } }, raw: {}, hash: 'h', path: '/x' } as unknown as LoadResult;
    const over = withPortOverride(ok, { CORRAL_PORT: '4123' });
    expect(over.ok && over.config.bus.port).toBe(4123);
    expect(withPortOverride(ok, {})).toBe(ok);
    const bad = withPortOverride(ok, { CORRAL_PORT: '70000' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors[0]!.message).toContain('CORRAL_PORT="70000"');
    expect(parsePort('0')).toBe(0);
    expect(parsePort('-1')).toBeNull();
  });

  it('the fallback address: CORRAL_URL, else CORRAL_PORT, else 4000', () => {
    expect(fallbackUrl({ CORRAL_URL: 'http://h:1', CORRAL_PORT: '2' })).toBe('http://h:1');
    expect(fallbackUrl({ CORRAL_PORT: '4555' })).toBe('http://127.0.0.1:4555');
    expect(fallbackUrl({})).toBe('http://127.0.0.1:4000');
  });
});
