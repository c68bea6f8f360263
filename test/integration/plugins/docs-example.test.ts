import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginHarness, waitFor } from './plugin-harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
let h: PluginHarness;
let pluginDir: string;
afterEach(async () => {
  await h?.close();
  if (pluginDir) rmSync(pluginDir, { recursive: true, force: true });
});

describe('docs/plugins.md', () => {
  it('its example plugin loads, starts, answers health and reacts to bus events', async () => {
    const doc = readFileSync(join(root, 'docs', 'plugins.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeDefined();
    // Inside the repository the package is its source entry; zod resolves from the repository's node_modules.
    pluginDir = join(root, 'test', `.tmp-plugin-${randomBytes(4).toString('hex')}`);
    mkdirSync(pluginDir, { recursive: true });
    const file = join(pluginDir, 'index.mjs');
    writeFileSync(file, code!.replace("from 'corral'", `from ${JSON.stringify(pathToFileURL(join(root, 'src', 'index.ts')).href)}`));

    h = new PluginHarness();
    // A port that was free a moment ago: bind 0, read it, let it go.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const life = await h.lifecycle('echo', { plugin: file, port, greeting: 'hi there' });
    const inst = await h.start(life);
    expect(inst.pid).toBeGreaterThan(0);
    await waitFor('the example to be healthy', async () => (await life.health!()).ok);

    h.bus.publish({ source: 'test', session_id: 's', event_type: 'example.ping' });
    await waitFor('example.pong', () => h.events('example.pong').length === 1);
    expect(h.events('example.pong')[0]!.payload).toMatchObject({ component: 'echo', answer: 'hi there' });
    await inst.stop('SIGTERM', 2000);
  });
});
