import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBus } from '../../../src/bus/bus.js';
import type { BusEntry } from '../../../src/bus/types.js';
import { ComponentSchema } from '../../../src/config/schema.js';
import { createLifecycle } from '../../../src/plugins/context.js';
import { getPluginSchema, loadPlugin, PluginLoadError } from '../../../src/plugins/loader.js';
import { pluginKeysOf } from '../../../src/plugins/plugin-config.js';
import type { BuiltinRunners, Logger, PluginDefinition } from '../../../src/plugins/types.js';

// Temp-dir plugins reach corral's API and zod by absolute URL: they live outside the package.
const API = pathToFileURL(resolve('src/index.ts')).href;
const ZOD = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;

const noRunners: BuiltinRunners = {
  process: () => Promise.reject(new Error('not in this test')),
  pty: () => Promise.reject(new Error('not in this test')),
  tmux: () => Promise.reject(new Error('not in this test')),
};

describe('plugin loader and lifecycle', () => {
  let dir: string;
  const logged: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => void logged.push(m), error: (m) => void logged.push(m) };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-loader-'));
    logged.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function write(rel: string, text: string): string {
    const file = join(dir, rel);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  async function lifecycleOf(plugin: PluginDefinition, entry: Record<string, unknown> = {}) {
    const bus = createBus();
    const seen: BusEntry[] = [];
    bus.subscribe({}, (e) => seen.push(e));
    const full = { plugin: plugin.name, ...entry };
    const lifecycle = await createLifecycle({
      name: 'comp',
      component: ComponentSchema.parse(full),
      plugin,
      pluginConfig: pluginKeysOf(full),
      bus,
      stateDir: join(dir, '.corral'),
      configDir: dir,
      logger,
      runners: noRunners,
    });
    return { lifecycle, bus, seen };
  }

  it('loads a .mjs plugin by name from <configDir>/plugins, and a directory plugin by path', async () => {
    write(
      'plugins/greeter.mjs',
      `import { definePlugin } from ${JSON.stringify(API)};
       import { z } from ${JSON.stringify(ZOD)};
       export default definePlugin({
         name: 'greeter',
         configSchema: z.strictObject({ greeting: z.string().default('hi') }),
         create(ctx, config) {
           return {
             async start() {
               ctx.publish({ event_type: 'greeter.said', payload: { text: config.greeting, dir: ctx.stateDir } });
               throw new Error('no process in this test');
             },
           };
         },
       });`,
    );
    // No imports at all: a plain object that quacks like a plugin is enough.
    write(
      'elsewhere/bare/index.js',
      `export const plugin = { name: 'bare', configSchema: { safeParse: (v) => ({ success: true, data: v }) }, create: () => ({ start: async () => { throw new Error('bare'); } }) };`,
    );
    const greeter = await loadPlugin('greeter', { configDir: dir });
    expect(greeter.name).toBe('greeter');
    const bare = await loadPlugin('./elsewhere/bare', { configDir: dir });
    expect(bare.name).toBe('bare');

    const { lifecycle, seen, bus } = await lifecycleOf(greeter, { greeting: 'hello', command: 'unused' });
    expect(existsSync(join(dir, '.corral', 'plugins', 'comp'))).toBe(false); // made on demand only
    await expect(lifecycle.start()).rejects.toThrow('plugin "greeter" (component "comp") failed to start: no process in this test');
    const said = seen.find((e) => e.event.event_type === 'greeter.said')!.event;
    expect(said).toMatchObject({ source: 'comp', session_id: bus.sessionId, payload: { text: 'hello' } });
    expect(existsSync(join(dir, '.corral', 'plugins', 'comp'))).toBe(true);
    await lifecycle.dispose!();
  });

  // Under plain Node (the built CLI), as a user runs it; vitest itself could import the .ts.
  it(
    'a config beside TypeScript plugin sources falls back to the compiled first-party plugin; a disabled entry with a missing plugin is not an error',
    () => {
      write('plugins/tmux-orchestrator/index.ts', "const n: number = 1;\nexport default n;\n");
      const config = write(
        'corral.yaml',
        'version: 1\ncomponents:\n  tmux:\n    plugin: tmux-orchestrator\n    session: s\n    windows: [{ name: a }]\n  later:\n    plugin: not-installed-yet\n    enabled: false\n',
      );
      const run = spawnSync(process.execPath, [resolve('bin/corral.js'), 'validate', '-c', config], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    },
  );

  // The built CLI, as a user runs it in corral's own checkout: a JS plugin saved in the repository's plugins/.
  it(
    "finds by name a JS plugin saved in the repository's plugins/, after the config's plugins/; first-party plugins still load from dist/",
    () => {
      const name = `test-echo-${process.pid}-${Date.now()}`;
      const saved = resolve('plugins', name);
      try {
        mkdirSync(saved);
        // docs/plugins.md's example as it is: `corral` resolves to the package itself, zod from its node_modules.
        const doc = readFileSync(resolve('docs/plugins.md'), 'utf8');
        const example = /Save this as `plugins\/http-echo\/index\.mjs`[\s\S]*?```js\n([\s\S]*?)^```$/m.exec(doc)![1]!;
        writeFileSync(join(saved, 'index.mjs'), example);
        const config = write('corral.yaml', `version: 1\ncomponents:\n  echo:\n    plugin: ${name}\n    port: 9090\n  tmux:\n    plugin: tmux-orchestrator\n    session: s\n    windows: [{ name: a }]\n`);
        const validate = () => spawnSync(process.execPath, [resolve('bin/corral.js'), 'validate', '-c', config], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
        let run = validate();
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        // Its keys are checked by its own schema: it is the plugin that was loaded.
        writeFileSync(config, `version: 1\ncomponents:\n  echo:\n    plugin: ${name}\n    port: nope\n`);
        run = validate();
        expect(run.status).toBe(2);
        expect(run.stdout + run.stderr).toContain('components.echo.port');
        // The config's own plugins/ comes first.
        write(`plugins/${name}.mjs`, 'export default {};\n');
        run = validate();
        expect(run.status).toBe(2);
        expect(run.stdout + run.stderr).toContain(`(${join(dir, 'plugins', `${name}.mjs`)}) does not export a plugin`);
      } finally {
        rmSync(saved, { recursive: true, force: true });
      }
    },
  );

  // Under plain Node: vitest's own loader reports syntax errors in its own words.
  it('names the file, line and column of a syntax error in a plugin', () => {
    const file = write('plugins/broken/index.mjs', "export default {\n  name: 'broken',\n  port: )\n};\n");
    const config = write('corral.yaml', 'version: 1\ncomponents:\n  b:\n    plugin: broken\n');
    const run = spawnSync(process.execPath, [resolve('bin/corral.js'), 'validate', '-c', config], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toContain(`plugin "broken" (${file}:3:9) failed to load: SyntaxError: Unexpected token ')'`);
  });

  it('says where it looked when a plugin is not found', async () => {
    const err = await loadPlugin('nowhere', { configDir: dir, pluginDirs: ['extra'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    const message = (err as Error).message;
    expect(message).toContain('plugin "nowhere" not found');
    expect(message).toContain(join(dir, 'extra', 'nowhere.js'));
    expect(message).toContain(join(dir, 'plugins', 'nowhere', 'index.mjs'));
  });

  it('refuses a module that does not export a plugin', async () => {
    write('plugins/notone.mjs', `export const something = 1;`);
    write('plugins/half.mjs', `export default { name: 'half', create() {} };`);
    await expect(loadPlugin('notone', { configDir: dir })).rejects.toThrow(/does not export a plugin: no default export and no "plugin" export.*definePlugin/);
    await expect(loadPlugin('half', { configDir: dir })).rejects.toThrow('"half" has no zod "configSchema"');
  });

  it('gives the built-in runners an empty strict schema', async () => {
    const schema = await getPluginSchema('tmux', { configDir: dir });
    expect(schema.safeParse({}).success).toBe(true);
    expect(schema.safeParse({ colour: 'red' }).success).toBe(false);
  });

  it('rejects with the plugin\'s own message when create throws, and with a timeout naming it when create hangs', async () => {
    const throwing = write('plugins/throws.mjs', `export default { name: 'throws', configSchema: { safeParse: (v) => ({ success: true, data: v }) }, create() { throw new Error('cannot find the router binary'); } };`);
    const hanging = write(
      'plugins/hangs.mjs',
      `export default { name: 'hangs', setupTimeout: 200, configSchema: { safeParse: (v) => ({ success: true, data: v }) }, create(ctx) { return new Promise(() => {}); } };`,
    );
    await expect(lifecycleOf(await loadPlugin(throwing, { configDir: dir }))).rejects.toThrow(
      'plugin "throws" (component "comp") failed to set up: cannot find the router binary',
    );
    await expect(lifecycleOf(await loadPlugin(hanging, { configDir: dir }))).rejects.toThrow('plugin "hangs" (component "comp"): setup did not finish within 200 ms');
  });

  it('names the path of an invalid plugin key', async () => {
    const plugin = (await import(API)).definePlugin({
      name: 'typed',
      configSchema: (await import(ZOD)).z.strictObject({ port: (await import(ZOD)).z.number() }),
      create: () => ({ start: () => Promise.reject(new Error('x')) }),
    }) as PluginDefinition;
    await expect(lifecycleOf(plugin, { port: 'nope' })).rejects.toThrow('components.comp.port');
    await expect(lifecycleOf(plugin, { port: 1, colour: 'red' })).rejects.toThrow('components.comp.colour');
  });

  it('contains a misbehaving plugin: throwing health and subscribers, failing dispose; disposes last in first out', async () => {
    const order: string[] = [];
    const plugin: PluginDefinition = {
      name: 'rude',
      configSchema: { safeParse: (v: unknown) => ({ success: true, data: v }) } as unknown as PluginDefinition['configSchema'],
      create(ctx) {
        ctx.subscribe({ event_type: 'poke' }, () => {
          throw new Error('subscriber blew up');
        });
        ctx.subscribe({ event_type: 'poke' }, async () => {
          throw new Error('async subscriber blew up');
        });
        ctx.signal.addEventListener('abort', () => order.push('aborted'));
        return {
          start: () => Promise.reject(new Error('unused')),
          health: () => {
            throw new Error('health blew up');
          },
          dispose: async () => {
            order.push('dispose');
            throw new Error('dispose blew up');
          },
        };
      },
    };
    const { lifecycle, bus } = await lifecycleOf(plugin);
    expect(bus.publish({ source: 'test', session_id: 's', event_type: 'poke' }).ok).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(logged.filter((m) => m.includes('subscriber blew up'))).toHaveLength(2);
    expect(await lifecycle.health!()).toEqual({ ok: false, detail: 'plugin "rude" (component "comp"): health check threw: health blew up' });
    await lifecycle.dispose!();
    expect(order).toEqual(['aborted', 'dispose']);
    expect(logged.some((m) => m.includes('dispose() failed: dispose blew up'))).toBe(true);
    // Its subscriptions are gone with it.
    const before = logged.length;
    bus.publish({ source: 'test', session_id: 's', event_type: 'poke' });
    expect(logged.length).toBe(before);
  });
});
