import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processlessInstance, type PluginContext, type RunOptions } from '../../../src/index.js';
import { loadPlugin, PluginLoadError } from '../../../src/plugins/loader.js';
import { createPluginComponent } from '../../../src/plugins/standalone.js';
import { definePlugin, type Instance } from '../../../src/plugins/types.js';
import { corralVersion } from '../../../src/version.js';
import { z } from 'zod';

const ZOD = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;

let dir: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'corral-plugin-api-')));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function pluginFile(name: string, corral: string | number): void {
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  writeFileSync(
    join(dir, 'plugins', `${name}.mjs`),
    `import { z } from ${JSON.stringify(ZOD)};
     export default { name: ${JSON.stringify(name)}, corral: ${JSON.stringify(corral)}, configSchema: z.strictObject({}), create: () => ({ start: async () => { throw new Error('unused'); } }) };`,
  );
}

describe('the corral version range a plugin states', () => {
  it('a plugin that needs a newer corral fails to load, naming both versions', async () => {
    pluginFile('future', '>=99.0.0');
    const err = await loadPlugin('future', { configDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginLoadError);
    expect((err as Error).message).toBe(
      `plugin "future" (${join(dir, 'plugins', 'future.mjs')}) needs corral >=99.0.0, but this is corral ${corralVersion()}: update corral, or use a version of "future" made for corral ${corralVersion()}`,
    );
  });

  it('a plugin whose range holds this corral loads; a range that is no range is refused', async () => {
    pluginFile('today', `>=${corralVersion()}`);
    expect((await loadPlugin('today', { configDir: dir })).name).toBe('today');
    pluginFile('vague', 'soon');
    await expect(loadPlugin('vague', { configDir: dir })).rejects.toThrow('"vague" has a "corral" that is not a version range');
    pluginFile('number', 1);
    await expect(loadPlugin('number', { configDir: dir })).rejects.toThrow('"number" has a "corral" that is not a version range');
  });
});

describe('ctx.runOptions()', () => {
  it('gives the component command, cwd and env as a runner takes them; overrides resolve against them', async () => {
    mkdirSync(join(dir, 'app', 'inner'), { recursive: true });
    let ctx!: PluginContext;
    const plugin = definePlugin({
      name: 'capture',
      configSchema: z.strictObject({}),
      create(c) {
        ctx = c;
        return { start: () => c.runners.process(c.runOptions({ cwd: 'inner', env: { B: '2' } })) };
      },
    });
    const component = await createPluginComponent({
      plugin,
      name: 'cap',
      configDir: dir,
      entry: { command: 'sh -c "pwd > out; echo $A$B >> out"', shell: false, cwd: 'app', env: { A: '1' } },
    });
    expect(ctx.runOptions()).toEqual<RunOptions>({ name: 'cap', command: 'sh -c "pwd > out; echo $A$B >> out"', shell: false, cwd: join(dir, 'app'), env: { A: '1' } });
    expect(ctx.runOptions({ name: 'cap.w', command: ['x'], cwd: '/abs' })).toMatchObject({ name: 'cap.w', command: ['x'], cwd: '/abs', env: { A: '1' } });
    const instance = await component.lifecycle.start();
    expect(await instance.exited).toMatchObject({ code: 0 });
    expect(readFileSync(join(dir, 'app', 'inner', 'out'), 'utf8')).toBe(`${join(dir, 'app', 'inner')}\n12\n`);
    await component.lifecycle.dispose?.();
  });

  it('throws naming the component when there is no command', async () => {
    let ctx!: PluginContext;
    const plugin = definePlugin({ name: 'bare', configSchema: z.strictObject({}), create: (c) => ((ctx = c), { start: () => Promise.reject(new Error('unused')) }) });
    const component = await createPluginComponent({ plugin, name: 'quiet', configDir: dir });
    expect(() => ctx.runOptions()).toThrow('component "quiet": plugin "bare" needs a "command"');
    await component.lifecycle.dispose?.();
  });
});

describe('processlessInstance', () => {
  it('stops at once with code 0, has no pid to sample, and can be ended by its plugin', async () => {
    const a: Instance = processlessInstance('(listening)');
    expect(a.pid).toBeNull();
    expect(a.pids()).toEqual([]);
    expect(await a.stop('SIGTERM', 1000)).toEqual({ code: 0, signal: null });
    expect(await a.exited).toEqual({ code: 0, signal: null });
    const b = processlessInstance('(watching)');
    b.end({ code: 1, signal: null });
    b.end({ code: 5, signal: null });
    expect(await b.exited).toEqual({ code: 1, signal: null });
    expect(await b.stop('SIGTERM', 1000)).toEqual({ code: 1, signal: null });
  });
});
