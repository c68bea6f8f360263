import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
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

describe('loadConfig', () => {
  test('a valid YAML file loads with defaults filled and units converted', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines(
        'version: 1',
        'bus: { port: 0 }',
        'components:',
        '  db:',
        '    command: [node, db.js]',
        '    health: { tcp: 5432, interval: 500ms }',
        '  web:',
        '    command: node web.js',
        '    env: { PORT: 3000 }',
        '    depends_on: { db: healthy }',
        '    resources: { memory: { warning: 256MB, critical: 512M } }',
      ),
    );
    const result = await loadConfig(file);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.file).toBe(file);
    expect(result.dir).toBe(tmp.dir);
    expect(result.hash).toMatch(/^[0-9a-f]{64}$/);
    const { web, db } = result.config.components;
    expect(web!.plugin).toBe('process');
    expect(web!.env).toEqual({ PORT: '3000' });
    expect(web!.restart.backoff.initial).toBe(1000);
    expect(web!.stop.timeout).toBe(10_000);
    expect(web!.resources!.memory).toEqual({ warning: 256 * 1024 ** 2, critical: 512 * 1024 ** 2 });
    expect(db!.health!.interval).toBe(500);
    expect(db!.health!.tcp).toBe('5432');
    expect(result.config.bus.heartbeat).toBe(30_000);
  });

  test('formatting, comments and spelled-out defaults do not change the hash', async () => {
    const a = await loadConfig(tmp.write('a.yaml', lines('components:', '  web: { command: node web.js }')));
    const b = await loadConfig(
      tmp.write('b.yaml', lines('# a comment', 'components:', '  web:', '    command: node web.js', '    enabled: true', '    stop: { timeout: 10s }')),
    );
    const c = await loadConfig(tmp.write('c.yaml', lines('components:', '  web: { command: node other.js }')));
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
  });

  test('an unknown key such as restrat is an error with its path, line and column, and a suggestion', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  router:', '    command: node router.js', '    restrat: { policy: always }'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([
      { path: 'components.router.restrat', message: expect.stringMatching(/unknown key "restrat".*did you mean "restart"\?/), line: 4, column: 5 },
    ]);
  });

  test('an unknown key inside a nested object and a bad enum value are both reported, in file order', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('components:', '  router:', '    command: node router.js', '    restart:', '      policy: sometimes', '      max_restart: 3'),
    );
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ path: 'components.router.restart.policy', line: 5, column: 15 });
    expect(errors[0]!.message).toMatch(/always/);
    expect(errors[1]).toMatchObject({ path: 'components.router.restart.max_restart', line: 6, column: 7 });
    expect(errors[1]!.message).toMatch(/did you mean "max_restarts"/);
  });

  test('a bad component name says why, at the name: characters, and corral (the daemon\'s own name)', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  -bad:', '    command: x', '  corral:', '    command: y'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([
      { path: 'components.-bad', message: 'component names use letters, digits, _ . -', line: 2, column: 3 },
      { path: 'components.corral', message: expect.stringMatching(/"corral" is the daemon's own name/), line: 4, column: 3 },
    ]);
  });

  test('a bad duration names the path and the expected form', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web:', '    command: x', '    stop: { timeout: 10 seconds }'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([{ path: 'components.web.stop.timeout', message: expect.stringMatching(/500ms, 10s/), line: 4, column: 22 }]);
  });

  test('invalid YAML is reported with line and column', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web:', '    command: "node web.js', '    cwd: .'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/invalid YAML/);
    expect(errors[0]!.line).toBeGreaterThanOrEqual(3);
    expect(errors[0]!.column).toBeGreaterThanOrEqual(1);
  });

  test('duplicate keys in YAML are an error, not a silent override', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web: { command: a }', '  web: { command: b }'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([{ path: 'components.web', message: expect.stringMatching(/duplicate key "web"/), line: 3, column: 3 }]);
  });

  test('duplicate keys are reported together with every other error, each at its own line', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines(
        'components:',
        '  web:',
        '    command: a',
        '    restrat: { policy: never }',
        '    env: { A: "1" }',
        '    env: { B: "2" }',
        '  db:',
        '    command: b',
        '    stop: { timeout: 10 seconds, timeout: 5s }',
        '    depends_on: [nope]',
      ),
    );
    const errors = errorsOf(await loadConfig(file));
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['components.web.restrat', 4],
      ['components.web.env', 6],
      ['components.db.stop.timeout', 9],
      ['components.db.depends_on.nope', 10],
    ]);
    expect(errors[1]!.message).toMatch(/duplicate key "env"/);
    expect(errors[2]).toMatchObject({ column: 34, message: expect.stringMatching(/duplicate key "timeout"/) });
  });

  test('a duplicate key in a JSON file is reported with the schema errors too', async () => {
    const file = tmp.write('corral.json', '{\n  "components": {\n    "web": { "command": "x", "command": "y", "restrat": {} }\n  }\n}\n');
    const errors = errorsOf(await loadConfig(file));
    expect(errors.map((e) => [e.path, e.line, e.column])).toEqual([
      ['components.web.command', 3, 30],
      ['components.web.restrat', 3, 46],
    ]);
  });

  test('a backoff whose initial delay is above its max is an error at backoff.initial', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('components:', '  web:', '    command: x', '    restart:', '      backoff: { initial: 1m, max: 30s }', '  ok:', '    command: y', '    restart: { backoff: { initial: 2s, max: 2s } }'),
    );
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([{ path: 'components.web.restart.backoff.initial', message: 'initial (60s) must not be above max (30s)', line: 5, column: 27 }]);
    // The default max (30s) counts too.
    const alone = tmp.write('alone.yaml', lines('components:', '  web: { command: x, restart: { backoff: { initial: 45s } } }'));
    expect(errorsOf(await loadConfig(alone))).toEqual([expect.objectContaining({ path: 'components.web.restart.backoff.initial', message: 'initial (45s) must not be above max (30s)' })]);
  });

  test('an unknown dependency names both ends', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web:', '    command: x', '    depends_on: { db: healthy }'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([{ path: 'components.web.depends_on.db', message: 'unknown component "db" (web depends on it)', line: 4, column: 19 }]);
  });

  test('an unknown dependency in list form points at the list item', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web:', '    command: x', '    depends_on:', '      - dbb', '  db: { command: y }'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([
      { path: 'components.web.depends_on.dbb', message: 'unknown component "dbb" (web depends on it) (did you mean "db"?)', line: 5, column: 9 },
    ]);
  });

  test('a dependency cycle is reported once, naming the whole cycle', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('components:', '  b: { command: x, depends_on: [c] }', '  a: { command: x, depends_on: [b] }', '  c: { command: x, depends_on: { a: started } }', '  d: { command: x, depends_on: [d] }'),
    );
    const errors = errorsOf(await loadConfig(file));
    expect(errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      'components.a.depends_on.b: dependency cycle: a → b → c → a',
      'components.d.depends_on.d: dependency cycle: d → d',
    ]);
    expect(errors[0]!.line).toBe(3);
  });

  test('depending on a disabled component is an error', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web: { command: x, depends_on: [db] }', '  db: { command: y, enabled: false }'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([expect.objectContaining({ path: 'components.web.depends_on.db', message: expect.stringMatching(/disabled/) })]);
  });

  test('healthy on a built-in runner without a health probe is an error (it would never be healthy); a plugin may have its own health()', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines(
        'components:',
        '  svc: { command: x }',
        '  c:',
        '    command: y',
        '    depends_on: { svc: healthy }',
        '  shell: { plugin: tmux, command: bash }',
        '  d: { command: z, depends_on: { shell: healthy, svc: started } }',
        '  e: { command: z, depends_on: [svc] }',
      ),
    );
    expect(errorsOf(await loadConfig(file))).toEqual([
      { path: 'components.c.depends_on.svc', message: '"svc" has no health probe, so it never becomes healthy: add health: to svc or use started', line: 5, column: 19 },
      { path: 'components.d.depends_on.shell', message: expect.stringMatching(/^"shell" has no health probe/), line: 7, column: 34 },
    ]);
    const ok = tmp.write(
      'ok.yaml',
      lines('components:', '  svc: { command: x, health: { tcp: 5432 } }', '  router: { plugin: mine }', '  c: { command: y, depends_on: { svc: healthy, router: healthy } }'),
    );
    const result = await loadConfig(ok, { resolvePluginSchema: async () => z.object({}) });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
  });

  test('an env number that would not be passed as written (0x1F, beyond 2^53, 1.0) is an error asking for quotes; booleans and plain numbers pass', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines(
        'x-env: &env { V_FLOAT: 1.0 }',
        'components:',
        '  a:',
        '    command: x',
        '    env: { V_BIG: 12345678901234567890, V_HEX: 0x1F, V_OK: 42, V_PI: 3.14, V_NEG: -7, V_ON: true, V_Q: "0x1F" }',
        '  b: { command: y, env: { <<: *env, V_INT: 8080 } }',
      ),
    );
    expect(errorsOf(await loadConfig(file))).toEqual([
      {
        path: 'components.a.env.V_BIG',
        message: 'the number 12345678901234567890 would be passed as 12345678901234567000: write it in quotes ("12345678901234567890") to pass it as written',
        line: 5,
        column: 19,
      },
      { path: 'components.a.env.V_HEX', message: 'the number 0x1F would be passed as 31: write it in quotes ("0x1F") to pass it as written', line: 5, column: 48 },
      { path: 'components.b.env.V_FLOAT', message: 'the number 1.0 would be passed as 1: write it in quotes ("1.0") to pass it as written', line: 6, column: 20 },
    ]);
    const ok = await loadConfig(tmp.write('ok.yaml', lines('components:', '  a: { command: x, env: { PORT: 8080, PI: 3.14, ON: true, HEX: "0x1F" } }')));
    if (!ok.ok) throw new Error(JSON.stringify(ok.errors));
    expect(ok.config.components.a!.env).toEqual({ PORT: '8080', PI: '3.14', ON: 'true', HEX: '0x1F' });
  });

  test('command is required for the built-in runners', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  shell:', '    plugin: pty', '    cwd: .'));
    const errors = errorsOf(await loadConfig(file));
    expect(errors).toEqual([{ path: 'components.shell.command', message: 'required for the pty runner', line: 2, column: 3 }]);
  });

  test('a plugin key is checked by the schema the resolver returns, with the component path', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('components:', '  router:', '    plugin: claude-router', '    port: high', '    routes: [a]', '    rooutes: [b]'),
    );
    const schema = z.object({ port: z.number().int(), routes: z.array(z.string()).default([]) });
    const calls: [string, string][] = [];
    const errors = errorsOf(
      await loadConfig(file, {
        resolvePluginSchema: async (plugin, component) => {
          calls.push([plugin, component]);
          return schema;
        },
      }),
    );
    expect(calls).toEqual([['claude-router', 'router']]);
    expect(errors).toEqual([
      { path: 'components.router.port', message: expect.stringMatching(/^plugin "claude-router": .*number/), line: 4, column: 11 },
      { path: 'components.router.rooutes', message: expect.stringMatching(/unknown key "rooutes" .*did you mean "routes"/), line: 6, column: 5 },
    ]);
  });

  test('a valid plugin config passes, and an unknown plugin is named', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  a: { plugin: mine, port: 1 }', '  b: { plugin: nope }'));
    const result = await loadConfig(file, {
      resolvePluginSchema: async (plugin) => (plugin === 'mine' ? z.strictObject({ port: z.number() }) : null),
    });
    expect(errorsOf(result)).toEqual([{ path: 'components.b.plugin', message: 'unknown plugin "nope"', line: 3, column: 16 }]);
  });

  test('a plugin schema with only safeParse (zod 3, or made by hand) is used as is, not a crash', async () => {
    // What the plugin loader accepts: an object with safeParse, and no zod 4 internals.
    const bare = {
      safeParse: (v: Record<string, unknown>) =>
        typeof v.port === 'number' || v.port === undefined
          ? { success: true as const, data: v }
          : { success: false as const, error: { issues: [{ code: 'custom', path: ['port'], message: 'port must be a number' }] } },
    } as unknown as z.ZodType;
    const good = tmp.write('good.yaml', lines('components:', '  a: { plugin: mine, port: 1 }'));
    expect((await loadConfig(good, { resolvePluginSchema: async () => bare })).ok).toBe(true);
    const bad = tmp.write('bad.yaml', lines('components:', '  a: { plugin: mine, port: one }'));
    expect(errorsOf(await loadConfig(bad, { resolvePluginSchema: async () => bare }))).toEqual([
      { path: 'components.a.port', message: 'plugin "mine": port must be a number', line: 2, column: 28 },
    ]);
  });

  test('JSON files load, with positions for errors', async () => {
    const good = await loadConfig(tmp.write('corral.json', JSON.stringify({ components: { web: { command: 'x' } } })));
    expect(good.ok).toBe(true);
    const bad = tmp.write('bad.json', '{\n  "components": {\n    "web": { "command": "x", "restrat": {} }\n  }\n}\n');
    expect(errorsOf(await loadConfig(bad))).toEqual([
      { path: 'components.web.restrat', message: expect.stringMatching(/did you mean "restart"/), line: 3, column: 30 },
    ]);
    const broken = tmp.write('broken.json', '{\n  "components": {,\n}\n');
    const [syntax] = errorsOf(await loadConfig(broken));
    expect(syntax!.message).toMatch(/invalid JSON/);
    expect(syntax!.line).toBe(2);
  });

  test('a missing or empty file is a clear error', async () => {
    expect(errorsOf(await loadConfig(`${tmp.dir}/nope.yaml`))[0]!.message).toBe('cannot read (ENOENT: no such file)');
    expect(errorsOf(await loadConfig(tmp.write('empty.yaml', '# nothing yet\n')))[0]!.message).toMatch(/empty/);
  });

  test('top-level x- keys hold anchors; anchors, aliases and merge keys work, and errors inside them still get a line', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines(
        'x-defaults: &defaults',
        '  restart: { policy: always }',
        'components:',
        '  a: { <<: *defaults, command: x }',
        '  b:',
        '    command: y',
        '    stop: &stop { signal: SIGTERM, timeout: forever }',
        '  c: { command: z, stop: *stop }',
      ),
    );
    const errors = errorsOf(await loadConfig(file));
    expect(errors.map((e) => [e.path, e.line])).toEqual([
      ['components.b.stop.timeout', 7],
      ['components.c.stop.timeout', 7],
    ]);
    const ok = await loadConfig(
      tmp.write('ok.yaml', lines('x-note: free text', 'components:', '  a: &base { command: x, restart: { policy: always } }', '  b: { <<: *base, cwd: sub }')),
    );
    if (!ok.ok) throw new Error(JSON.stringify(ok.errors));
    expect(ok.config.components.b).toMatchObject({ command: 'x', cwd: 'sub', restart: { policy: 'always' } });
  });

  test('every error is reported at once', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('bus: { prot: 1 }', 'components:', '  web:', '    command: x', '    restrat: {}', '    depends_on: [db]', '    health: { http: "ftp://x" }'),
    );
    const paths = errorsOf(await loadConfig(file)).map((e) => e.path);
    expect(paths).toEqual(['bus.prot', 'components.web.restrat', 'components.web.depends_on.db', 'components.web.health.http']);
  });
});
