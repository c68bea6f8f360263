import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig, type LoadResult } from '../../../src/config/load.js';
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
const load = (...ls: string[]) => loadConfig(tmp.write('corral.yaml', lines(...ls)), { env: {} });

describe('hints for what docker compose users write', () => {
  test('compose keys get corral\'s words, at the key', async () => {
    const errors = errorsOf(
      await load(
        'version: 1',
        'components:',
        '  web:',
        '    image: node:20',
        '    command: node web.js',
        '    ports: ["3000:3000"]',
        '    healthcheck: { test: [CMD, curl, -f, http://localhost] }',
        '    environment: { A: "1" }',
        '    restart: unless-stopped',
        '  worker:',
        '    command: node worker.js',
        '    restart: "on-failure:5"',
        '    depends_on: { web: { condition: service_healthy } }',
      ),
    );
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e]));
    expect(byPath['components.web.image']).toMatchObject({ line: 4, message: expect.stringContaining('corral runs commands, not images') });
    expect(byPath['components.web.ports']!.message).toContain('nothing to publish');
    expect(byPath['components.web.healthcheck']).toMatchObject({ line: 7, message: expect.stringContaining('did you mean "health"?') });
    expect(byPath['components.web.environment']!.message).toContain('did you mean "env"?');
    expect(byPath['components.web.restart']).toMatchObject({ line: 9, message: "restart is a mapping in corral: write restart: { policy: always } for compose's restart: unless-stopped" });
    expect(byPath['components.worker.restart']!.message).toBe("restart is a mapping in corral: write restart: { policy: on-failure, max_restarts: 5 } for compose's restart: on-failure:5");
    expect(byPath['components.worker.depends_on']!.message).toContain('write depends_on: { web: healthy }');
  });

  test('depends_on as a list and a top-level env_file are accepted', async () => {
    tmp.write('.env', 'A=1\n');
    const result = await load('version: 1', 'env_file: .env', 'components:', '  db: { command: node db.js }', '  web: { command: node web.js, depends_on: [db] }');
    expect(result.ok).toBe(true);
  });

  test('depends_on with compose\'s bare condition names gets the same hint', async () => {
    const errors = errorsOf(await load('version: 1', 'components:', '  a: { command: node a.js }', '  b:', '    command: node b.js', '    depends_on: { a: service_healthy }'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('write depends_on: { a: healthy }');
  });

  test('a command argument that is not a string says which and to quote it', async () => {
    const errors = errorsOf(await load('version: 1', 'components:', '  w:', '    command: ["sleep", 100]'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: 'components.w.command', message: 'each argument must be a string (got the number 100 at [1]; quote it)' });
    const more = errorsOf(await load('version: 1', 'components:', '  w:', '    command: [node, 1, true, {a: 1}]'));
    expect(more[0]!.message).toBe('each argument must be a string (got the number 1 at [1], true at [2], a mapping at [3])');
  });

  test('watch: a path or a list of paths is short for watch: { paths: ... }', async () => {
    for (const written of ['src', '[src, lib]']) {
      const result = await load('version: 1', 'components:', '  w:', '    command: node w.js', `    watch: ${written}`);
      expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
      const watch = result.ok ? result.config.components.w!.watch : undefined;
      expect(watch).toEqual({ paths: written === 'src' ? ['src'] : ['src', 'lib'], ignore: [], debounce: 500 });
    }
    // The full form keeps its typo checking.
    const errors = errorsOf(await load('version: 1', 'components:', '  w:', '    command: node w.js', '    watch: { paths: src, ignroe: dist }'));
    expect(errors[0]).toMatchObject({ path: 'components.w.watch.ignroe', message: expect.stringContaining('did you mean "ignore"?') });
  });

  test('an unknown dependency gets a suggestion only when it is a likely typo', async () => {
    const short = errorsOf(await load('version: 1', 'components:', '  a: { command: node a.js }', '  b: { command: node b.js, depends_on: [c] }'));
    expect(short[0]!.message).not.toContain('did you mean');
    const typo = errorsOf(await load('version: 1', 'components:', '  worker: { command: node a.js }', '  b: { command: node b.js, depends_on: [wokrer] }'));
    expect(typo[0]!.message).toContain('did you mean "worker"?');
  });

  test('top-level services: → did you mean components?', async () => {
    const errors = errorsOf(await load('services:', '  web: { command: x }'));
    expect(errors[0]).toMatchObject({ path: 'services', line: 1, message: expect.stringContaining('did you mean "components"?') });
  });

  test('an unquoted ": " in a command says to quote the value, beside the YAML message', async () => {
    const errors = errorsOf(await load('version: 1', 'components:', '  web:', '    command: echo ready: now'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.line).toBe(4);
    expect(errors[0]!.message).toContain('Nested mappings are not allowed in compact mappings');
    expect(errors[0]!.message).toContain('quote the value (command: "echo ready: now")');
  });
});

describe('YAML error positions', () => {
  test('an unclosed [ on the last line is reported at the [, not one past the end', async () => {
    const body = Array.from({ length: 88 }, (_, i) => `  c${i}: { command: x }`);
    const text = lines('version: 1', 'components:', ...body, '  last:', '    command: [node, x.js');
    const file = tmp.write('corral.yaml', text.trimEnd());
    expect(text.trimEnd().split('\n')).toHaveLength(92);
    const errors = errorsOf(await loadConfig(file, { env: {} }));
    expect(errors[0]).toMatchObject({ line: 92, column: 14, message: expect.stringContaining('is never closed') });
  });

  test('with a trailing newline too', async () => {
    const errors = errorsOf(await load('version: 1', 'components:', '  web:', '    command: [node, web.js'));
    expect(errors[0]).toMatchObject({ line: 4, column: 14 });
  });

  test('an unclosed { in a nested value', async () => {
    const errors = errorsOf(await load('version: 1', 'components:', '  web: { command: x, env: { A: "1" }', 'bus: { port: 0 }'));
    expect(errors.every((e) => e.line !== undefined && e.line <= 4)).toBe(true);
  });
});
