import { z } from 'zod';
import { definePlugin, processlessInstance } from '../../src/index.js';
import { AGENT_HOOK_FILTER, AgentTracker } from './agent-tracker.js';

const ConfigSchema = z.strictObject({
  /** Tool names whose PreToolUse/PostToolUse spawn a subagent. */
  spawn_tools: z.array(z.string().min(1)).min(1).default(['Task', 'Agent']),
  /** Milliseconds within which a tool use and a SubagentStart of the same type are one agent. */
  correlate_ms: z.number().int().positive().default(30_000),
});

/**
 * claude-flow: runs claude-flow (when a `command` is configured) and turns the
 * Claude Code hook events on the bus into flow.agent.spawned / completed.
 */
export default definePlugin({
  name: 'claude-flow',
  version: '0.1.0',
  corral: '>=0.1.0',
  configSchema: ConfigSchema,
  create(ctx, config) {
    const tracker = new AgentTracker({ spawnTools: config.spawn_tools, correlateMs: config.correlate_ms });
    // Subscribe for the component's whole life, not per generation, so no hook slips through a restart.
    const unsubscribe = ctx.subscribe({ event_type: AGENT_HOOK_FILTER }, (entry) => {
      // The bus calls listeners synchronously; publishing from inside one would nest, so defer.
      const emits = tracker.handle(entry.event);
      if (emits.length === 0) return;
      queueMicrotask(() => {
        for (const emit of emits) {
          const result = ctx.publish({ event_type: emit.event_type, session_id: emit.session_id, payload: emit.payload });
          if (!result.ok) ctx.logger.warn(`could not publish ${emit.event_type}: ${result.error.message}`);
        }
      });
    });
    ctx.signal.addEventListener('abort', unsubscribe, { once: true });
    const command = ctx.component.command;
    return {
      async start() {
        // Without a command the component only listens to the bus: a generation with no process.
        if (command === undefined) return processlessInstance('(claude-flow: listening to hook events)');
        return ctx.runners.process(ctx.runOptions());
      },
      async dispose() {
        unsubscribe();
      },
    };
  },
});
