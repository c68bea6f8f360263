import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { resolvePluginFile } from '../../../src/plugins/loader.js';
import { processesWithMarker } from '../daemon/helpers.js';
import { PluginHarness } from './plugin-harness.js';
import { waitFor } from '../../helpers/wait-for.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const distEntry = join(root, 'dist', 'src', 'index.js');
let h: PluginHarness | undefined;
let pluginDir: string | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (pluginDir) rmSync(pluginDir, { recursive: true, force: true });
  pluginDir = undefined;
});

/** The fenced code blocks of a Markdown text, with their language. */
function codeBlocks(markdown: string): { lang: string; code: string }[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

const doc = () => readFileSync(join(root, 'docs', 'plugins.md'), 'utf8');

/** A port that was free a moment ago: bind 0, read it, let it go. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  return port;
}

/**
 * A project directory inside the repository (so `zod` resolves from its
 * node_modules) holding the docs' plugin where the docs say to save it, with
 * `corral` pointing at `entry` (the package's own entry, as the user's install would).
 */
function projectWithPlugin(entry: string): { dir: string; file: string } {
  const [plugin] = codeBlocks(doc()).filter((b) => b.lang === 'js');
  expect(plugin).toBeDefined();
  pluginDir = join(root, 'test', `.tmp-plugin-${randomBytes(4).toString('hex')}`);
  const file = join(pluginDir, 'plugins', 'http-echo', 'index.mjs');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, plugin!.code.replace("from 'corral'", `from ${JSON.stringify(pathToFileURL(entry).href)}`));
  return { dir: pluginDir, file };
}

function node(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('docs/plugins.md', () => {
  it('its example plugin loads, starts, answers health and reacts to bus events', async () => {
    // Inside the repository the package is its source entry; zod resolves from the repository's node_modules.
    const { file } = projectWithPlugin(join(root, 'src', 'index.ts'));
    h = new PluginHarness();
    const port = await freePort();
    const life = await h.lifecycle('echo', { plugin: file, port, greeting: 'hi there' });
    const inst = await h.start(life);
    expect(inst.pid).toBeGreaterThan(0);
    await waitFor('the example to be healthy', async () => (await life.health!()).ok);

    h.bus.publish({ source: 'test', session_id: 's', event_type: 'example.ping' });
    await waitFor('example.pong', () => h!.events('example.pong').length === 1);
    expect(h.events('example.pong')[0]!.payload).toMatchObject({ component: 'echo', answer: 'hi there' });
    await inst.stop('SIGTERM', 2000);
  });

  // Under plain Node against the build, as a user runs them.
  it('its config snippet validates, by name and by the path its comment gives', async () => {
    const { dir, file } = projectWithPlugin(distEntry);
    const yamlBlock = codeBlocks(doc()).find((b) => b.lang === 'yaml' && b.code.includes('plugin: http-echo'));
    expect(yamlBlock).toBeDefined();
    const byPath = /plugin: http-echo\s+# or a path: (\S+)/.exec(yamlBlock!.code)?.[1];
    expect(byPath).toBeDefined();
    // The comment's path and the name both find the file the docs say to save.
    expect(resolvePluginFile(byPath!, { configDir: dir })).toBe(file);
    expect(resolvePluginFile('http-echo', { configDir: dir })).toBe(file);

    for (const ref of ['http-echo', byPath!]) {
      const yaml = `version: 1\n${yamlBlock!.code.replace('plugin: http-echo', `plugin: ${ref}`)}`;
      expect((parseYaml(yaml) as { components: { echo: { plugin: string } } }).components.echo.plugin).toBe(ref);
      writeFileSync(join(dir, 'corral.yaml'), yaml);
      const run = await node([join(root, 'bin', 'corral.js'), 'validate', '-c', join(dir, 'corral.yaml')], dir);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    }
  });

  it('its "Testing it" script runs as written and gets the pong', async () => {
    const { dir } = projectWithPlugin(distEntry);
    const script = codeBlocks(doc()).find((b) => b.lang === 'js' && b.code.includes('createPluginComponent'));
    expect(script).toBeDefined();
    const port = await freePort();
    // The script's server gets a marker in its environment, so it is found (and ended) even if the script fails half-way.
    const marker = `corral-test-${randomBytes(8).toString('hex')}`;
    writeFileSync(
      join(dir, 'try-echo.mjs'),
      script!.code
        .replace("from 'corral'", `from ${JSON.stringify(pathToFileURL(distEntry).href)}`)
        .replace('port: 9091', `port: ${port}, env: { MARK: ${JSON.stringify(marker)} }`),
    );
    const run = await node(['try-echo.mjs'], dir);
    const left = processesWithMarker(marker);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    expect(left).toEqual([]);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('pong: hello');
    expect(run.code).toBe(0);
  });
});
