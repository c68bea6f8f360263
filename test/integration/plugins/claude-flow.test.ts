import { afterEach, describe, expect, it } from 'vitest';
import { PluginHarness } from './plugin-harness.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: PluginHarness;
afterEach(async () => {
  await h?.close();
});

/** A Claude Code hook event as `corral hook` / POST /hooks publish it. */
function hook(type: string, session: string, payload: Record<string, unknown>) {
  return { source: 'claude-code', source_app: 'test-app', session_id: session, event_type: type, hook_event_type: type, payload: { session_id: session, hook_event_name: type, ...payload } };
}

function publish(input: unknown): void {
  const r = h.bus.publish(input);
  if (!r.ok) throw new Error(String(r.error.message));
}

describe('claude-flow plugin', () => {
  it('derives one spawned and one completed per agent when tool hooks and subagent hooks both arrive', async () => {
    h = new PluginHarness();
    const life = await h.lifecycle('flow', { plugin: 'claude-flow' });
    const inst = await h.start(life);
    expect(inst.pid).toBeNull();

    // The order Claude Code sends them in: the Task tool starts, the subagent starts and stops, the tool ends.
    publish(hook('PreToolUse', 's1', { tool_name: 'Task', tool_use_id: 'toolu_1', tool_input: { subagent_type: 'researcher', description: 'find the bug', prompt: 'long prompt' } }));
    publish(hook('SubagentStart', 's1', { agent_id: 'agent-a', agent_type: 'researcher' }));
    publish(hook('PreToolUse', 's1', { tool_name: 'Bash', tool_use_id: 'toolu_2', tool_input: { command: 'ls' } }));
    publish(hook('SubagentStop', 's1', { agent_id: 'agent-a', agent_type: 'researcher', last_assistant_message: 'found it' }));
    publish(hook('PostToolUse', 's1', { tool_name: 'Task', tool_use_id: 'toolu_1', tool_input: { subagent_type: 'researcher' }, tool_response: { content: 'report' } }));

    await waitFor('flow.agent.completed', () => h.events('flow.agent.completed').length === 1);
    // Let any (wrong) duplicate arrive before counting.
    await new Promise((r) => setImmediate(r));
    const spawned = h.events('flow.agent.spawned');
    const completed = h.events('flow.agent.completed');
    expect(spawned).toHaveLength(1);
    expect(completed).toHaveLength(1);
    expect(spawned[0]!.payload).toMatchObject({ agent_id: 'toolu_1', agent_type: 'researcher', task: 'find the bug', status: 'spawned' });
    expect(spawned[0]!.session_id).toBe('s1');
    expect(spawned[0]!.source).toBe('flow');
    expect(completed[0]!.payload).toMatchObject({ agent_id: 'toolu_1', agent_type: 'researcher', status: 'completed', result: 'found it', subagent_id: 'agent-a' });
  });

  it('handles agents seen only through SubagentStart/Stop, only through the tool, and failed tool uses', async () => {
    h = new PluginHarness();
    await h.start(await h.lifecycle('flow', { plugin: 'claude-flow' }));

    publish(hook('SubagentStart', 's2', { agent_id: 'agent-b', agent_type: 'Explore' }));
    publish(hook('SubagentStop', 's2', { agent_id: 'agent-b', agent_type: 'Explore' }));
    publish(hook('PreToolUse', 's3', { tool_name: 'Agent', tool_use_id: 'toolu_9', tool_input: { subagent_type: 'planner', prompt: 'plan it' } }));
    publish(hook('PostToolUseFailure', 's3', { tool_name: 'Agent', tool_use_id: 'toolu_9', error: 'interrupted' }));
    // A completion whose start was never seen is announced first, so every completed has its spawned.
    publish(hook('PostToolUse', 's4', { tool_name: 'Task', tool_use_id: 'toolu_late', tool_input: { subagent_type: 'coder', description: 'late' }, tool_response: 'ok' }));

    await waitFor('three completions', () => h.events('flow.agent.completed').length === 3);
    await new Promise((r) => setImmediate(r));
    const byId = (type: string) => Object.fromEntries(h.events(type).map((e) => [e.payload.agent_id, e.payload]));
    expect(Object.keys(byId('flow.agent.spawned')).sort()).toEqual(['agent-b', 'toolu_9', 'toolu_late']);
    expect(h.events('flow.agent.spawned')).toHaveLength(3);
    const done = byId('flow.agent.completed');
    expect(done['agent-b']).toMatchObject({ agent_type: 'Explore', status: 'completed' });
    expect(done.toolu_9).toMatchObject({ agent_type: 'planner', task: 'plan it', status: 'failed', result: 'interrupted' });
    expect(done.toolu_late).toMatchObject({ agent_type: 'coder', task: 'late', status: 'completed', result: 'ok' });
  });

  it('runs a configured command and stops it', async () => {
    h = new PluginHarness();
    const inst = await h.start(await h.lifecycle('flow', { plugin: 'claude-flow', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] }));
    expect(inst.pid).toBeGreaterThan(0);
    const info = await inst.stop('SIGTERM', 2000);
    expect(info.signal).toBe('SIGTERM');
  });

  it('refuses keys that are not its own, naming the path', async () => {
    h = new PluginHarness();
    await expect(h.lifecycle('flow', { plugin: 'claude-flow', spawn_tool: ['Task'] })).rejects.toThrow(/components\.flow\.spawn_tool/);
  });
});
