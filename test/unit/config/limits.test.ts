import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CONFIG_LIMITS, loadConfig, loadConfigText, type LoadResult } from '../../../src/config/load.js';
import { findCycles, levelsOf } from '../../../src/config/graph.js';
import { suggestName } from '../../../src/config/suggest.js';
import { lines, makeTempDir } from './helpers.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

function errorsOf(result: LoadResult) {
  if (result.ok) throw new Error('expected the config to be refused');
  return result.errors;
}

/** A config of `n` components, each depending on the one before it. */
function chain(n: number, extra = ''): string {
  let y = 'version: 1\ncomponents:\n';
  for (let i = 0; i < n; i++) y += `  c${i}:\n    command: node x.js\n${extra}    depends_on: [${i > 0 ? `c${i - 1}` : ''}]\n`;
  return y;
}

describe('config size limits', () => {
  test('a file over the size limit is refused before it is parsed, saying its size and the limit', async () => {
    const big = `version: 1\ncomponents:\n  a:\n    command: x\n    env:\n      BIG: "${'x'.repeat(CONFIG_LIMITS.fileBytes)}"\n`;
    const file = tmp.write('corral.yaml', big);
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([{ path: '', message: 'the file is 1.0 MiB: a config may be at most 1.0 MiB' }]);
    expect(errorsOf(await loadConfigText(`${big}${'#'.repeat(1024 * 1024)}\n`, file))[0]!.message).toBe('the file is 2.0 MiB: a config may be at most 1.0 MiB');
  });

  test('more components than the limit is one error at `components:`, with the count', async () => {
    const errors = errorsOf(await loadConfigText(chain(CONFIG_LIMITS.components + 1), 'corral.yaml'));
    expect(errors).toEqual([
      { path: 'components', message: `${CONFIG_LIMITS.components + 1} components: at most ${CONFIG_LIMITS.components} are supported in one config`, line: 2, column: 1 },
    ]);
  });

  test('exactly the limit of components loads, in dependency order', async () => {
    const result = await loadConfigText(chain(CONFIG_LIMITS.components), 'corral.yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 3)));
    expect(Object.keys(result.config.components)).toHaveLength(CONFIG_LIMITS.components);
  });

  test('an env string longer than Linux accepts for one variable is refused with its place in the file', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('version: 1', 'components:', '  web:', '    command: node web.js', '    env:', '      OK: small', `      BLOB: "${'é'.repeat(70 * 1024)}"`),
    );
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([
      {
        path: 'components.web.env.BLOB',
        message: 'BLOB=… is 141 KiB: one environment string may be at most 128 KiB (Linux refuses a longer one when starting the process); pass large data in a file',
        line: 7,
        column: 13,
      },
    ]);
    // Just under the limit (name, "=" and value) is accepted.
    const fits = 'x'.repeat(CONFIG_LIMITS.envStringBytes - 'BLOB='.length);
    const ok = await loadConfigText(lines('version: 1', 'components:', '  web:', '    command: node web.js', '    env:', `      BLOB: "${fits}"`), file);
    expect(ok.ok).toBe(true);
  });

  test('every component with an unknown dependency is reported, each with its line and a suggestion when close', async () => {
    let y = 'version: 1\ncomponents:\n';
    for (let i = 0; i < 1500; i++) y += `  svc${i}:\n    command: node x.js\n    depends_on: [svc${i}x]\n`;
    const errors = errorsOf(await loadConfigText(y, 'corral.yaml'));
    expect(errors).toHaveLength(1500);
    expect(errors[0]).toEqual({ path: 'components.svc0.depends_on.svc0x', message: 'unknown component "svc0x" (svc0 depends on it) (did you mean "svc0"?)', line: 5, column: 18 });
    expect(errors[1499]!.line).toBe(1499 * 3 + 5);
  });
});

describe('duplicate keys, found without comparing every key with every other', () => {
  test('a key repeated among 2,000 components is reported at the repeat; 1 and "1" are different keys', async () => {
    const text = `${chain(1999)}  c5:\n    command: again\n    env: { 1: a, "1": b }\n`;
    const errors = errorsOf(await loadConfigText(text, 'corral.yaml'));
    expect(errors).toEqual([{ path: 'components.c5', message: 'duplicate key "c5": it appears more than once in the same mapping (keep one)', line: 1999 * 3 + 3, column: 3 }]);
  });
});

describe('dependency graph of a long chain', () => {
  const graph: Record<string, string[]> = {};
  const N = 50_000;
  for (let i = 0; i < N; i++) graph[`n${String(i).padStart(5, '0')}`] = i > 0 ? [`n${String(i - 1).padStart(5, '0')}`] : [];

  test('findCycles walks a 50,000-deep chain without overflowing the stack', () => {
    expect(findCycles(graph)).toEqual([]);
    const looped = { ...graph, n00000: ['n49999'] };
    const cycles = findCycles(looped);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]![0]).toBe('n00000');
    expect(cycles[0]).toHaveLength(N + 1);
  });

  test('levelsOf puts each link of the chain on its own level', () => {
    const levels = levelsOf(graph);
    expect(levels).toHaveLength(N);
    expect(levels[0]).toEqual(['n00000']);
    expect(levels[N - 1]).toEqual(['n49999']);
  });
});

describe('suggestName', () => {
  test('finds the closest name within the typo limit, transpositions counting one', () => {
    expect(suggestName('restrat', ['restart', 'health', 'reset'])).toBe('restart');
    expect(suggestName('hlth', ['health'])).toBeUndefined();
    expect(suggestName('WEB', ['api', 'web'])).toBe('web');
    expect(suggestName('wbe', ['web', 'wbex'])).toBe('web');
    expect(suggestName('databse', ['database', 'db'])).toBe('database');
    expect(suggestName('abcdefgh', ['abcdefXY'])).toBe('abcdefXY');
    expect(suggestName('abcdefgh', ['abcdeXYZ'])).toBeUndefined();
  });
});
