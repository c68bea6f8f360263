import { describe, expect, it } from 'vitest';
import {
  EventSchema,
  HookEventSchema,
  ServerMessageSchema,
  ClientMessageSchema,
  completeEvent,
  checkEvent,
  generateTestEvent,
  validateEvent,
  HookEventTypeName,
} from '../../../src/schema/index.js';

describe('event schema', () => {
  it('the test generator makes a valid HookEvent', () => {
    const e = generateTestEvent('PreToolUse');
    expect(validateEvent(e)).toBe(true);
    expect(HookEventSchema.safeParse(e).success).toBe(true);
  });

  it('follows the spec rules: negative timestamp, wrong version and missing source are refused', () => {
    const good = generateTestEvent('Stop');
    expect(validateEvent({ ...good, timestamp: -1 })).toBe(false);
    expect(validateEvent({ ...good, version: '2.0' })).toBe(false);
    const { source: _s, ...noSource } = good;
    const check = checkEvent(noSource);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.issues.map((i) => i.path)).toContain('source');
  });

  it('completeEvent fills id, timestamp and version and nothing else', () => {
    const r = completeEvent({ source: 'me', session_id: 's', event_type: 'x.y' }, 1234);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.event.timestamp).toBe(1234);
      expect(r.event.version).toBe('1.0');
      // Time-ordered (version 7): the store's unique index of ids grows at its end.
      expect(r.event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r.event.payload).toEqual({});
    }
    const bad = completeEvent({ session_id: 's', event_type: 'x' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain('source');
  });

  it('accepts hook types Claude Code added later, and unknown ones as strings', () => {
    for (const t of ['SessionStart', 'SubagentStart', 'PermissionRequest', 'PostToolUseFailure', 'PostCompact', 'SomethingNew']) {
      expect(HookEventTypeName.safeParse(t).success).toBe(true);
      expect(validateEvent(generateTestEvent(t))).toBe(true);
    }
  });

  it('parses the server and client messages of the protocol', () => {
    const e = EventSchema.parse(generateTestEvent('Stop'));
    expect(ServerMessageSchema.safeParse({ type: 'event', data: e, metadata: { server_time: 1, message_id: 'm', seq: 3 } }).success).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'event', data: [e, e] }).success).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'heartbeat', data: { components: { a: 'healthy' }, timestamp: 1, next_check: 2 } }).success).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'error', data: { error_code: 'WS002', error_message: 'x', component: 'corral', severity: 'warning' } }).success).toBe(true);
    expect(ServerMessageSchema.safeParse({ type: 'heartbeat', data: { components: { a: 'sleepy' }, timestamp: 1, next_check: 2 } }).success).toBe(false);
    expect(ClientMessageSchema.safeParse({ type: 'register', data: { component: 'cli-monitor', capabilities: ['display'] } }).success).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'subscribe', data: { event_type: 'component.*' } }).success).toBe(true);
    expect(ClientMessageSchema.safeParse({ type: 'nope', data: {} }).success).toBe(false);
  });
});
