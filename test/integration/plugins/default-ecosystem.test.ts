import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { getPluginSchema } from '../../../src/plugins/loader.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const file = join(root, 'config', 'ecosystem.yaml');

describe('config/ecosystem.yaml', () => {
  it('validates, plugin keys included, and points editors at the JSON Schema', async () => {
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=./ecosystem.schema.json');
    const r = await loadConfig(file, { resolvePluginSchema: (plugin) => getPluginSchema(plugin, { configDir: dirname(file) }) });
    if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
    const c = r.config.components;
    expect(Object.keys(c).sort()).toEqual(['flaky', 'flow', 'router', 'ticker', 'tmux', 'web', 'worker']);
    expect(c.tmux!.plugin).toBe('tmux-orchestrator');
    expect(c.web!.health?.http).toBe('http://127.0.0.1:8765/health');
    expect(c.worker!.depends_on).toEqual({ web: 'healthy' });
    expect(c.flaky!.restart.policy).toBe('on-failure');
    // The Claude Code components are in the file but off: a fresh machine has neither ccr nor API keys.
    expect([c.router!.enabled, c.flow!.enabled]).toEqual([false, false]);
  });

  it('names the path of a plugin key that is not the plugin\'s', async () => {
    const { loadConfigText } = await import('../../../src/config/load.js');
    const text = 'version: 1\ncomponents:\n  tmux:\n    plugin: tmux-orchestrator\n    windowz: []\n';
    const r = await loadConfigText(text, join(root, 'config', 'bad.yaml'), { resolvePluginSchema: (plugin) => getPluginSchema(plugin, { configDir: join(root, 'config') }) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toContain('components.tmux.windowz');
  });
});
