import { describe, expect, test } from 'vitest';
import { findCycles, levelsOf, topoOrder } from '../../../src/config/graph.js';
import { ConfigSchema } from '../../../src/config/schema.js';

describe('topoOrder', () => {
  test('levels start independent components together and dependants after their dependencies', () => {
    const config = ConfigSchema.parse({
      components: {
        web: { command: 'x', depends_on: { api: 'healthy' } },
        api: { command: 'x', depends_on: ['db', 'cache'] },
        db: { command: 'x' },
        cache: { command: 'x' },
        worker: { command: 'x', depends_on: ['db'] },
        off: { command: 'x', enabled: false },
      },
    });
    expect(topoOrder(config)).toEqual([['cache', 'db'], ['api', 'worker'], ['web']]);
    expect(topoOrder(config, { includeDisabled: true })).toEqual([['cache', 'db', 'off'], ['api', 'worker'], ['web']]);
  });

  test('an empty config has no levels', () => {
    expect(topoOrder(ConfigSchema.parse({}))).toEqual([]);
  });

  test('a cycle throws, naming it', () => {
    expect(() => levelsOf({ a: ['b'], b: ['a'], c: [] })).toThrow('dependency cycle: a → b → a');
  });
});

describe('findCycles', () => {
  test('reports each cycle once, from its first name', () => {
    expect(findCycles({ c: ['a'], a: ['b'], b: ['c'], x: ['x'], y: ['z'] })).toEqual([
      ['a', 'b', 'c', 'a'],
      ['x', 'x'],
    ]);
  });
});
