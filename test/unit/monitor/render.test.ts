import { describe, expect, it } from 'vitest';
import type { CorralEvent } from '../../../src/schema/events.js';
import { addEvents, applyComponents, createMonitorState } from '../../../src/monitor/model.js';
import { formatEventLine, renderScreen } from '../../../src/monitor/render.js';
import { PROMPT_HELP } from '../../../src/monitor/filter-command.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';

function event(n: number, type = 'example.tick', payload: Record<string, unknown> = { n }): CorralEvent {
  return { id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, timestamp: 1_700_000_000_000 + n, source: 'src', session_id: 'session-1', event_type: type, version: '1.0', payload };
}

const row = (name: string): ComponentInfo => ({
  name, plugin: 'process', state: 'running', pid: 1, generation: 1, uptime_ms: 1, ready_after_ms: 1000, restarts: 0, health: null, reason: null,
  cpu_percent: null, memory_mb: null, next_restart_in_ms: null, last_exit: null, exits: 0, depends_on: {},
});

describe('renderScreen', () => {
  it('fills exactly the screen, never wider than it, newest event just above the prompt', () => {
    const state = createMonitorState('http://127.0.0.1:4000');
    applyComponents(state, [row('web'), row('a-very-long-component-name-that-does-not-fit')]);
    addEvents(state, Array.from({ length: 50 }, (_, i) => event(i + 1)));
    state.input = 'type comp';
    for (const [cols, rows] of [[80, 24], [40, 10], [200, 60]] as const) {
      const lines = renderScreen(state, cols, rows, false);
      expect(lines).toHaveLength(rows);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(cols);
      expect(lines[rows - 1]).toBe('> type comp');
      expect(lines[rows - 3]).toContain('{"n":50}'.slice(0, Math.max(0, cols - 66)));
    }
  });

  it('scrolls up from the tail and applies the filter to what it holds', () => {
    const state = createMonitorState('u');
    addEvents(state, [event(1), event(2, 'component.started', { component: 'web' }), event(3)]);
    state.filter = { event_type: 'component.*' };
    const text = renderScreen(state, 120, 20, false).join('\n');
    expect(text).toContain('component.started');
    expect(text).not.toContain('example.tick');
    state.filter = {};
    addEvents(state, Array.from({ length: 30 }, (_, i) => event(i + 10, i === 28 ? 'one.before.last' : 'example.tick')));
    state.scroll = 1;
    const scrolled = renderScreen(state, 120, 20, false);
    expect(scrolled.join('\n')).toContain('scrolled 1 up');
    // The line above the status and prompt is now the one before the newest.
    expect(scrolled[17]).toContain('one.before.last');
  });

  it('updates rows of supervised components from events, and ignores other registrations', () => {
    const state = createMonitorState('u');
    applyComponents(state, [row('web')]);
    // Events from before the table was read (history) do not roll it back; later ones update it.
    state.tableAt = 1_700_000_000_000;
    addEvents(state, [event(0, 'component.health', { component: 'web', status: 'gone-before' })]);
    expect(state.components.get('web')!.health).not.toBe('gone-before');
    addEvents(state, [
      event(1, 'component.health', { component: 'web', status: 'unhealthy' }),
      event(2, 'resource.alert', { component: 'web', metrics: { cpu_percent: 97, memory_mb: 300, active_connections: 0, event_queue_size: 0 }, alert_level: 'critical' }),
      event(3, 'component.started', { component: 'cli-monitor' }),
    ]);
    expect(state.components.get('web')).toMatchObject({ health: 'unhealthy', cpu_percent: 97, memory_mb: 300, alert: 'critical' });
    expect(state.components.has('cli-monitor')).toBe(false);
  });
});

describe('formatEventLine', () => {
  it('summarizes tmux windows and restarts briefly', () => {
    const tmux = formatEventLine(event(1, 'tmux.window.changed', { session: 'corral', window: { index: 2, name: 'shell', id: '@2' }, change: 'added' }), 200, false);
    expect(tmux).toContain('corral window 2:shell added');
    const stopped = formatEventLine(event(2, 'component.stopped', { component: 'flaky', reason: 'crashed', exit_code: 1, restarts: 2, next_restart_in_ms: 4000 }), 200, false);
    expect(stopped).toContain('flaky crashed (exit code 1) · restarts 2 · next restart in 4.0s');
  });

  it('says what corral events says of errors, resource alerts and bus clients', () => {
    const err = event(4, 'error.RES001', { component: 'hog', error_code: 'RES001', error_message: 'memory 612 MB over the 512 MB limit' });
    expect(formatEventLine(err, 200, false)).toContain('hog: memory 612 MB over the 512 MB limit');
    expect(formatEventLine(err, 200, false)).not.toContain('component=');
    const alert = event(5, 'resource.alert', { component: 'hog', metrics: { cpu_percent: 99, memory_mb: 10, active_connections: 0, event_queue_size: 0 }, alert_level: 'critical', message: 'cpu 99% over 90%' });
    expect(formatEventLine(alert, 200, false)).toContain('hog critical: cpu 99% over 90%');
    expect(formatEventLine(alert, 200, false)).not.toContain('alert_level=');
    const gone = event(6, 'ws.disconnected', { client_id: 'c7', remote_address: '127.0.0.1', component: null, code: 1006, reason: '', duration_ms: 3200 });
    expect(formatEventLine(gone, 200, false)).toContain('client c7 closed (1006) after 3.2s');
    const came = event(7, 'ws.connected', { client_id: 'c7', remote_address: '127.0.0.1', component: null, path: '/ws' });
    expect(formatEventLine(came, 200, false)).toContain('client c7 from 127.0.0.1 on /ws');
  });

  it('cuts between words, never inside a number', () => {
    const stopped = event(8, 'component.stopped', { component: 'flaky-worker', reason: 'crashed', exit_code: 1, restarts: 10, next_restart_in_ms: 16000, cause: 'health check failed' });
    for (let width = 60; width < 100; width++) {
      const line = formatEventLine(stopped, width, false);
      expect(line.length).toBeLessThanOrEqual(width);
      expect(line).not.toMatch(/restarts 1…|restarts 1$/);
      expect(line).not.toMatch(/\d…/);
    }
  });

  it('at 80 columns the events rule and the prompt hint are whole', () => {
    const state = createMonitorState('http://127.0.0.1:4000');
    state.status = PROMPT_HELP;
    const lines = renderScreen(state, 80, 24, false);
    expect(lines[22]).toBe(PROMPT_HELP);
    const rule = lines.find((l) => l.startsWith('── events'))!;
    expect(rule).toHaveLength(80);
    expect(rule).not.toContain('…');
  });

  it('shows a config.changed plan as corral events does, not as raw JSON', () => {
    const line = formatEventLine(
      event(3, 'config.changed', { added: ['d'], removed: ['c'], restarted: ['b'], updated: ['a'], settings: ['resources'], unchanged: 1, hash: 'abc', trigger: 'file' }),
      200,
      false,
    );
    expect(line).toContain('+d −c ↻b ~a, settings: resources, 1 unchanged (file)');
    expect(line).not.toContain('{');
  });
});
