import { describe, expect, it } from 'vitest';
import { ComponentSchema } from '../../../src/config/schema.js';
import { expandReplicas } from '../../../src/config/replicas.js';
import type { CorralConfig } from '../../../src/config/schema.js';
import { checkSelection, selectedNames, withDependants } from '../../../src/supervisor/selection.js';

const entry = (raw: Record<string, unknown>) => ComponentSchema.parse({ command: 'x', ...raw });
const components = expandReplicas({
  components: {
    db: entry({}),
    web: entry({ depends_on: ['db'], replicas: 2 }),
    worker: entry({ depends_on: ['web'] }),
    agent: entry({ profiles: ['agents'], depends_on: ['tool'] }),
    tool: entry({ profiles: ['tools'] }),
    off: entry({ enabled: false, profiles: 'agents' }),
  },
} as unknown as CorralConfig).components;

describe('selection', () => {
  it('NAME: it and what it depends on, replicas for a base name', () => {
    expect([...selectedNames(components, { names: ['worker'], profiles: [] })]).toEqual(['db', 'web-1', 'web-2', 'worker']);
    expect([...selectedNames(components, { names: ['web'], profiles: [] })]).toEqual(['db', 'web-1', 'web-2']);
  });

  it('profiles: the components without profiles, those of an active profile and what they need; never a disabled one', () => {
    expect([...selectedNames(components, { names: [], profiles: [] })].sort()).toEqual(['db', 'web-1', 'web-2', 'worker']);
    expect([...selectedNames(components, { names: [], profiles: ['agents'] })].sort()).toEqual(['agent', 'db', 'tool', 'web-1', 'web-2', 'worker']);
  });

  it('down NAME takes what depends on it, transitively', () => {
    expect(withDependants(components, ['db'])).toEqual(['db', 'web-1', 'web-2', 'worker']);
  });

  it('an unknown name or profile, or a disabled name, is refused with what there is', () => {
    expect(() => checkSelection(components, { names: ['nope'], profiles: [] })).toThrow('no component named "nope"; the components are: db, web-1, web-2, worker, agent, tool, off');
    expect(() => checkSelection(components, { names: [], profiles: ['dev', 'x'] })).toThrow('no profiles named "dev", "x"; the profiles are: agents, tools');
    expect(() => checkSelection(components, { names: ['off'], profiles: [] })).toThrow('"off" is disabled');
  });
});
