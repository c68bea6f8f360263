import { describe, expect, it } from 'vitest';
import { AgentTracker } from '../../../plugins/claude-flow/agent-tracker.js';
import type { CorralEvent } from '../../../src/schema/events.js';

let n = 0;
function hook(type: string, payload: Record<string, unknown>, session = 's'): CorralEvent {
  n++;
  return { id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, timestamp: n, source: 'cc', session_id: session, event_type: type, hook_event_type: type, version: '1.0', payload };
}

function tracker(now = () => 0) {
  return new AgentTracker({ spawnTools: ['Task', 'Agent'], correlateMs: 30_000, now });
}

const types = (emits: { event_type: string }[]) => emits.map((e) => e.event_type);

describe('AgentTracker', () => {
  it('pairs a SubagentStart that comes before the PreToolUse', () => {
    const t = tracker();
    expect(types(t.handle(hook('SubagentStart', { agent_id: 'a', agent_type: 'x' })))).toEqual(['flow.agent.spawned']);
    expect(t.handle(hook('PreToolUse', { tool_name: 'Task', tool_use_id: 'u', tool_input: { subagent_type: 'x', description: 'd' } }))).toEqual([]);
    const done = t.handle(hook('PostToolUse', { tool_name: 'Task', tool_use_id: 'u', tool_response: 'r' }));
    expect(done).toHaveLength(1);
    expect(done[0]!.payload).toMatchObject({ agent_id: 'a', task: 'd', status: 'completed', result: 'r', tool_use_id: 'u' });
    expect(t.handle(hook('SubagentStop', { agent_id: 'a', agent_type: 'x' }))).toEqual([]);
  });

  it('does not announce twice when the PreToolUse was missed and the tool ends after the subagent stopped', () => {
    const t = tracker();
    expect(types(t.handle(hook('SubagentStart', { agent_id: 'a', agent_type: 'x' })))).toEqual(['flow.agent.spawned']);
    expect(types(t.handle(hook('SubagentStop', { agent_id: 'a', agent_type: 'x' })))).toEqual(['flow.agent.completed']);
    expect(t.handle(hook('PostToolUse', { tool_name: 'Task', tool_use_id: 'u', tool_input: { subagent_type: 'x' } }))).toEqual([]);
  });

  it('keeps agents of different sessions and types apart, and ignores other tools', () => {
    const t = tracker();
    t.handle(hook('PreToolUse', { tool_name: 'Task', tool_use_id: 'u1', tool_input: { subagent_type: 'x' } }, 's1'));
    expect(types(t.handle(hook('SubagentStart', { agent_id: 'a2', agent_type: 'x' }, 's2')))).toEqual(['flow.agent.spawned']);
    expect(types(t.handle(hook('SubagentStart', { agent_id: 'a3', agent_type: 'y' }, 's1')))).toEqual(['flow.agent.spawned']);
    expect(t.handle(hook('PreToolUse', { tool_name: 'Bash', tool_use_id: 'b' }))).toEqual([]);
  });

  it('does not pair halves further apart than the window, and forgets finished agents', () => {
    let now = 0;
    const t = tracker(() => now);
    t.handle(hook('PreToolUse', { tool_name: 'Task', tool_use_id: 'u', tool_input: { subagent_type: 'x' } }));
    now = 60_000;
    expect(types(t.handle(hook('SubagentStart', { agent_id: 'late', agent_type: 'x' })))).toEqual(['flow.agent.spawned']);
    t.handle(hook('PostToolUse', { tool_name: 'Task', tool_use_id: 'u' }));
    t.handle(hook('SubagentStop', { agent_id: 'late', agent_type: 'x' }));
    now = 200_000;
    t.handle(hook('Notification', {}));
    expect(t.size()).toBe(0);
  });

  it('names the spawning agent as parent when a subagent spawns one', () => {
    const t = tracker();
    const [spawned] = t.handle(hook('PreToolUse', { tool_name: 'Agent', tool_use_id: 'u', agent_id: 'outer', tool_input: { subagent_type: 'x' } }));
    expect(spawned!.payload).toMatchObject({ agent_id: 'u', parent_agent: 'outer' });
  });
});
