import { describe, expect, it } from 'vitest';
import { completeEvent, type CorralEvent } from '../../../src/schema/events.js';
import { formatNotification } from '../../../src/notify/format.js';
import { substitute } from '../../../src/notify/destinations.js';
import { compileHookRules, decisionAnswer } from '../../../src/hooks/rules.js';
import { HooksSchema, NotifySchema } from '../../../src/config/notify-schema.js';

function ev(input: Record<string, unknown>): CorralEvent {
  const r = completeEvent({ session_id: 'sess-12345678-abc', ...input });
  if (!r.ok) throw new Error(r.message);
  return r.event;
}

describe('notification titles and messages', () => {
  it('a critical memory alert: one-line title, the figure and the threshold in the message', () => {
    const n = formatNotification(ev({ event_type: 'resource.alert', source: 'corral', payload: { component: 'web', alert_level: 'critical', metrics: { cpu_percent: 3, memory_mb: 612.3, active_connections: 0, event_queue_size: 0 }, message: 'memory 612.3 MB is over the critical threshold 500 MB (cpu 3%)' } }));
    expect(n.title).toBe('corral: web critical resource alert');
    expect(n.message).toBe('memory 612.3 MB is over the critical threshold 500 MB (cpu 3%)\nmemory 612.3 MB, cpu 3%');
    expect(n.component).toBe('web');
  });

  it('a failed health check', () => {
    const n = formatNotification(ev({ event_type: 'component.health', source: 'corral', payload: { component: 'api', status: 'unhealthy', previous: 'healthy', probe: 'http', detail: 'HTTP 503 from http://127.0.0.1:3000/health' } }));
    expect(n.title).toBe('corral: api unhealthy');
    expect(n.message).toBe('health check (http): healthy → unhealthy\nHTTP 503 from http://127.0.0.1:3000/health');
  });

  it("Claude Code's Notification, Stop and PermissionRequest name the session and the tmux window to attach", () => {
    const attach = (cwd: string) => (cwd === '/home/u/proj' ? 'corral attach claude' : null);
    const base = { source: 'claude-code', source_app: 'proj' };
    const note = formatNotification(ev({ ...base, event_type: 'Notification', payload: { cwd: '/home/u/proj', message: 'Claude needs your permission to use Bash' } }), attach);
    expect(note.title).toBe('Claude Code (proj): Claude needs your permission to use Bash');
    expect(note.message).toBe('Claude needs your permission to use Bash\nsession sess-123 in /home/u/proj\nattach: corral attach claude');
    const stop = formatNotification(ev({ ...base, event_type: 'Stop', payload: { cwd: '/elsewhere' } }), attach);
    expect(stop.title).toBe('Claude Code (proj) finished');
    expect(stop.message).not.toContain('attach');
    const perm = formatNotification(ev({ ...base, event_type: 'PermissionRequest', payload: { cwd: '/home/u/proj', tool_name: 'Bash', tool_input: { command: 'git push origin main' } } }), attach);
    expect(perm.title).toBe('Claude Code (proj) asks to run Bash');
    expect(perm.message.split('\n')[0]).toBe('Bash: git push origin main');
  });

  it('placeholders are replaced inside each argv element, other braces stay', () => {
    const n = formatNotification(ev({ event_type: 'app.x', source: 'app', payload: { component: 'c', message: 'm' } }));
    expect(substitute('{title} [{component}] {event_type} {nope}', n)).toBe('corral: app.x from c [c] app.x {nope}');
  });
});

describe('hooks rules', () => {
  const judge = compileHookRules(HooksSchema.parse({ deny: [{ tool: 'Bash', match: '/^rm\\s+-rf/' }], ask: [{ tool: '*', match: 'git push' }] }));
  it('deny before ask; a regex on each string of the input; only PreToolUse and PermissionRequest', () => {
    expect(judge('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'rm -rf /' } })).toMatchObject({ kind: 'deny', rule: 'deny[0]' });
    expect(judge('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'echo rm -rf' } })).toEqual({ kind: 'none' });
    expect(judge('PermissionRequest', { tool_name: 'Task', tool_input: { prompt: 'then git push it' } })).toMatchObject({ kind: 'ask', rule: 'ask[0]' });
    expect(judge('PostToolUse', { tool_name: 'Bash', tool_input: { command: 'rm -rf /' } })).toEqual({ kind: 'none' });
  });
  it('a bad regular expression is a config error', () => {
    const r = HooksSchema.safeParse({ deny: [{ tool: 'Bash', match: '/(/' }] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/not a valid regular expression/);
  });
  it("answers in Claude Code's shape", () => {
    expect(decisionAnswer('PermissionRequest', 'allow', 'ok')).toEqual({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } } });
  });
});

describe('notify rules in the config', () => {
  it('a rule on notify.* (or *) is refused: notify.* events never trigger rules', () => {
    for (const on of ['notify.sent', 'error.*, notify.*', '*']) {
      const r = NotifySchema.safeParse([{ on, desktop: true }]);
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.message).toMatch(/notify\.\* events never trigger rules/);
    }
  });
  it('exactly one destination; unique names (rule-N by default)', () => {
    expect(NotifySchema.safeParse([{ on: 'a', desktop: true, ntfy: 'http://x/t' }]).error!.issues[0]!.message).toMatch(/exactly one destination .*; it has ntfy and desktop/);
    expect(NotifySchema.safeParse([{ on: 'a' }]).error!.issues[0]!.message).toMatch(/exactly one destination/);
    expect(NotifySchema.safeParse([{ on: 'a', desktop: true }, { name: 'rule-0', on: 'b', desktop: true }]).error!.issues[0]!.message).toBe('two notify rules are named "rule-0"');
    expect(NotifySchema.parse([{ on: 'a', desktop: true }])[0]).toMatchObject({ every: 60_000, retry: 60_000 });
  });
});
