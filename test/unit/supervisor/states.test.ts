import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../src/config/schema.js';
import { ComponentRecord } from '../../../src/supervisor/component-record.js';
import { canMove, IllegalTransitionError, LIVE, NEXT, STRICT_TRANSITIONS } from '../../../src/supervisor/states.js';
import { COMPONENT_STATES, type ComponentState } from '../../../src/supervisor/types.js';

const config = ConfigSchema.parse({ components: { a: { command: 'true' } } }).components.a!;

/** The real record, with its protected move made callable. */
class Moves extends ComponentRecord {
  get health() {
    return null;
  }
  move(to: ComponentState) {
    this.setState(to, null);
  }
}

describe('the component state table', () => {
  it('names every state, and only known states', () => {
    expect(Object.keys(NEXT).sort()).toEqual([...COMPONENT_STATES].sort());
    for (const targets of Object.values(NEXT)) for (const t of targets) expect(COMPONENT_STATES).toContain(t);
    expect([...LIVE].sort()).toEqual(['healthy', 'running', 'unhealthy']);
  });

  it('lets a live generation end only through stopping or by ending on its own', () => {
    for (const live of LIVE) {
      expect(canMove(live, 'stopped')).toBe(false);
      expect(canMove(live, 'starting')).toBe(false);
      expect(canMove(live, 'stopping')).toBe(true);
      expect(canMove(live, 'backoff')).toBe(true);
    }
    expect(canMove('stopping', 'running')).toBe(false);
    expect(canMove('starting', 'healthy')).toBe(false);
    expect(canMove('disabled', 'starting')).toBe(false);
  });

  it('throws on an illegal move under test, after logging it loudly, and leaves the state as it was', () => {
    expect(STRICT_TRANSITIONS).toBe(true);
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void logged.push(m) };
    const c = new Moves('a', config, Date.now, logger);
    c.move('starting');
    c.move('running');
    expect(() => c.move('stopped')).toThrow(IllegalTransitionError);
    expect(() => c.move('stopped')).toThrow('component "a": illegal state transition running → stopped');
    expect(logged[0]).toMatch(/illegal state transition running → stopped \(a bug in corral; allowed from running: /);
    expect(c.state).toBe('running');
  });

  it('exposes state and counters read-only', () => {
    const c = new Moves('a', config, Date.now, undefined);
    for (const key of ['state', 'reason', 'config', 'generation', 'restarts', 'completedCleanly', 'lastOwnExit', 'sample']) {
      expect(() => {
        (c as unknown as Record<string, unknown>)[key] = 'x';
      }, key).toThrow(TypeError);
    }
    expect('lastExit' in c).toBe(false);
  });
});
