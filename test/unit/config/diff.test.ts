import { describe, expect, test } from 'vitest';
import { planReload } from '../../../src/config/diff.js';
import { hashConfig } from '../../../src/config/hash.js';
import { ConfigSchema, type CorralConfigInput } from '../../../src/config/schema.js';

const parse = (input: CorralConfigInput) => ConfigSchema.parse(input);
const base = (): CorralConfigInput => ({
  components: {
    web: { command: 'node web.js', env: { PORT: '3000' }, health: { http: 'http://127.0.0.1:3000/' } },
    db: { command: 'node db.js', resources: { memory: { warning: '100MB' } } },
    term: { plugin: 'tmux', command: 'bash', session: 'dev' },
  },
});

function planFor(change: (c: CorralConfigInput & { components: Record<string, any> }) => void) {
  const next = base() as CorralConfigInput & { components: Record<string, any> };
  change(next);
  return planReload(parse(base()), parse(next));
}

describe('planReload', () => {
  test('the same config changes nothing', () => {
    const plan = planFor(() => {});
    expect(plan).toMatchObject({ added: [], removed: [], restarted: [], updated: [], unchanged: 3, bus: { changed: [], rebind: false }, settings: [] });
    expect(plan.hash).toBe(hashConfig(parse(base())));
  });

  test.each([
    ['command', (c: any) => (c.components.web.command = 'node web2.js')],
    ['cwd', (c: any) => (c.components.web.cwd = 'sub')],
    ['env', (c: any) => (c.components.web.env = { PORT: '3001' })],
    ['shell', (c: any) => (c.components.web.shell = true)],
    ['plugin', (c: any) => (c.components.web.plugin = 'pty')],
  ])('a changed %s restarts that component only', (_key, change) => {
    const plan = planFor(change);
    expect(plan.restarted).toEqual(['web']);
    expect(plan).toMatchObject({ added: [], removed: [], updated: [], unchanged: 2 });
  });

  test.each([
    ['threshold', (c: any) => (c.components.db.resources = { memory: { warning: '200MB' } })],
    ['restart policy', (c: any) => (c.components.db.restart = { policy: 'always' })],
    ['stop timeout', (c: any) => (c.components.db.stop = { timeout: '3s' })],
    ['dependency', (c: any) => (c.components.db.depends_on = ['web'])],
  ])('a changed %s is updated in place', (_what, change) => {
    const plan = planFor(change);
    expect(plan).toMatchObject({ added: [], removed: [], restarted: [], updated: ['db'], unchanged: 2 });
  });

  test('a changed probe is updated in place', () => {
    const plan = planFor((c) => (c.components.web.health = { http: 'http://127.0.0.1:3000/health', interval: '1s' }));
    expect(plan.updated).toEqual(['web']);
    expect(plan.restarted).toEqual([]);
  });

  test('added and removed components', () => {
    const plan = planFor((c) => {
      delete c.components.db;
      c.components.cache = { command: 'redis-server' };
    });
    expect(plan).toMatchObject({ added: ['cache'], removed: ['db'], restarted: [], updated: [], unchanged: 2 });
  });

  test('enabled: false counts as removed, and true again as added', () => {
    const off = parse({ components: { ...base().components, db: { command: 'node db.js', enabled: false } } });
    const on = parse(base());
    expect(planReload(on, off)).toMatchObject({ added: [], removed: ['db'], unchanged: 2 });
    expect(planReload(off, on)).toMatchObject({ added: ['db'], removed: [], unchanged: 2 });
  });

  test('tmux session or window moves restart; a plugin key change restarts a plugin component', () => {
    expect(planFor((c) => (c.components.term.window = 'w2')).restarted).toEqual(['term']);
    const a = parse({ components: { r: { plugin: 'claude-router', port: 1 } as any } });
    const b = parse({ components: { r: { plugin: 'claude-router', port: 2 } as any } });
    expect(planReload(a, b).restarted).toEqual(['r']);
  });

  test('bus changes are listed; a port change asks for a rebind, a heartbeat change does not', () => {
    const port = planFor((c) => (c.bus = { port: 4100 }));
    expect(port.bus).toEqual({ changed: ['port'], rebind: true });
    expect(port.unchanged).toBe(3);
    const heartbeat = planFor((c) => (c.bus = { heartbeat: '5s' }));
    expect(heartbeat.bus).toEqual({ changed: ['heartbeat'], rebind: false });
    expect(planFor((c) => (c.resources = { interval: '5s' })).settings).toEqual(['resources']);
  });

  test('ecosystem-wide sections are listed as settings, and no component counts as changed', () => {
    const thresholds = planFor((c) => (c.resources = { memory: { warning: '300MB', critical: '600MB' } }));
    expect(thresholds).toMatchObject({ added: [], removed: [], restarted: [], updated: [], unchanged: 3, settings: ['resources'] });
    const several = planFor((c) => {
      c.logs = { max_files: 2 };
      c.plugin_dirs = ['more-plugins'];
      c.state_dir = '.corral-b';
    });
    expect(several.settings).toEqual(['logs', 'state_dir', 'plugin_dirs']);
    expect(several.unchanged).toBe(3);
  });
});
