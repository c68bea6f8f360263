import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PluginHarness } from './plugin-harness.js';
import { waitFor } from '../../helpers/wait-for.js';

let h: PluginHarness;
afterEach(async () => {
  await h?.close();
});

function writeRouterConfig(path: string, router: Record<string, unknown>, port?: number): void {
  writeFileSync(path, JSON.stringify({ ...(port ? { PORT: port } : {}), Providers: [], Router: router }, null, 2));
}

describe('claude-router plugin', () => {
  it('fails to start with the install command when ccr is not installed', async () => {
    h = new PluginHarness();
    const emptyBin = join(h.dir, 'empty-bin');
    mkdirSync(emptyBin);
    const life = await h.lifecycle('router', {
      plugin: 'claude-router',
      env: { PATH: emptyBin, HOME: h.dir },
    });
    await expect(life.start()).rejects.toThrow(/"ccr" was not found on PATH; install it with: npm install -g @musistudio\/claude-code-router/);
    // The failure is the component's alone: the bus and its other users are untouched.
    expect(h.bus.publish({ source: 't', session_id: 's', event_type: 'still.working' }).ok).toBe(true);
  });

  it('publishes router.model.switch when a route in its config file changes', async () => {
    h = new PluginHarness();
    // A temp HOME: the plugin finds ~/.claude-code-router/config.json there.
    const home = join(h.dir, 'home');
    const ccrDir = join(home, '.claude-code-router');
    mkdirSync(ccrDir, { recursive: true });
    const configPath = join(ccrDir, 'config.json');
    writeRouterConfig(configPath, { default: 'openrouter,anthropic/claude-sonnet-4', think: 'deepseek,deepseek-reasoner', longContextThreshold: 60000 });
    await h.lifecycle('router', { plugin: 'claude-router', env: { HOME: home }, watch_interval_ms: 50 });

    writeRouterConfig(configPath, { default: 'ollama,qwen2.5-coder:latest', think: 'deepseek,deepseek-reasoner', background: 'ollama,qwen2.5-coder:1.5b', longContextThreshold: 80000 });
    await waitFor('two router.model.switch events', () => h.events('router.model.switch').length >= 2);
    const switches = h.events('router.model.switch').map((e) => e.payload);
    expect(switches).toEqual([
      expect.objectContaining({ route: 'default', from: 'openrouter,anthropic/claude-sonnet-4', to: 'ollama,qwen2.5-coder:latest', provider: 'ollama', model: 'qwen2.5-coder:latest', reason: 'config_changed', config_path: configPath }),
      expect.objectContaining({ route: 'background', from: null, to: 'ollama,qwen2.5-coder:1.5b', model: 'qwen2.5-coder:1.5b', reason: 'config_changed' }),
    ]);
    expect(h.events('router.model.switch')[0]!.source).toBe('router');
  });

  it('is healthy when the router answers on its port, falling back to / when there is no /health', async () => {
    h = new PluginHarness();
    const server: Server = createServer((req, res) => {
      res.writeHead(req.url === '/' ? 200 : 404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    h.onClose(() => new Promise((r) => server.close(r)));
    const port = (server.address() as AddressInfo).port;
    const configPath = join(h.dir, 'ccr.json');
    // The port comes from the router's own config (PORT) when the component does not set one.
    writeRouterConfig(configPath, { default: 'a,b' }, port);
    const life = await h.lifecycle('router', { plugin: 'claude-router', config_path: configPath, command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] });
    const inst = await h.start(life);
    expect(inst.pid).toBeGreaterThan(0);
    expect(await life.health!()).toEqual({ ok: true, detail: '/ answered 200' });
    await new Promise<void>((r) => server.close(() => r()));
    expect((await life.health!()).ok).toBe(false);
  });
});
