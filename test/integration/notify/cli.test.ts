import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProject } from '../hooks/daemon.js';
import { recordingServer } from './servers.js';

type Project = Awaited<ReturnType<typeof startProject>>;
let p: Project;
let hook: Awaited<ReturnType<typeof recordingServer>>;
const yaml = (extra = '') => `version: 1
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { name: ok, on: app.alert, webhook: "${hook.url}/ok" }
  - { name: dead, on: app.alert, webhook: "http://127.0.0.1:9/nothing", retry: 0s }
${extra}`;

beforeAll(async () => {
  hook = await recordingServer();
  p = await startProject(yaml());
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
  await hook?.close();
}, 60_000);

describe('the built CLI: corral notify test, corral hook --print-settings, hooks rules on reload', () => {
  it('`corral notify test RULE` sends a sample; a dead destination exits 1 saying why; an unknown rule exits 2', async () => {
    const ok = await p.cli(['notify', 'test', 'ok']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(`ok: sent (webhook ${hook.url}/ok)\n`);
    expect(JSON.parse(hook.got[0]!.body)).toMatchObject({ title: 'corral: test of notify rule ok' });
    const all = await p.cli(['notify', 'test']);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/^dead: failed \(webhook http:\/\/127\.0\.0\.1:9\/nothing\): .*ECONNREFUSED/m);
    const unknown = await p.cli(['notify', 'test', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no notify rule named "nope"; the rules are: ok, dead');
    expect((await p.cli(['notify'])).code).toBe(2);
  });

  it('`corral hook --print-settings --http` points every hook at the running daemon; without --http it runs corral hook', async () => {
    const http = JSON.parse((await p.cli(['hook', '--print-settings', '--http'])).stdout) as { hooks: Record<string, { matcher?: string; hooks: { type: string; url?: string; command?: string; timeout?: number }[] }[]> };
    expect(http.hooks.PreToolUse).toEqual([{ matcher: '*', hooks: [{ type: 'http', url: `${p.url}/hooks/PreToolUse`, timeout: 120 }] }]);
    expect(http.hooks.Stop).toEqual([{ hooks: [{ type: 'http', url: `${p.url}/hooks/Stop` }] }]);
    expect(Object.keys(http.hooks)).toHaveLength(13);
    const cmd = JSON.parse((await p.cli(['hook', '--print-settings'])).stdout) as typeof http;
    // `corral` when it is on PATH, else bin/corral by its absolute path.
    expect(cmd.hooks.Notification).toEqual([{ hooks: [{ type: 'command', command: expect.stringMatching(/^(corral|\/\S*\/bin\/corral) hook Notification$/) }] }]);
  });

  it('hooks rules apply on hot reload', async () => {
    const body = { session_id: 's', tool_name: 'Bash', tool_input: { command: 'make deploy' } };
    expect((await p.hook('PreToolUse', body)).text).toBe('{}');
    writeFileSync(p.config, yaml('hooks:\n  deny: [{ tool: Bash, match: deploy, reason: "deploys go through CI" }]\n'));
    const reload = await p.cli(['reload']);
    expect(reload.code).toBe(0);
    expect(JSON.parse((await p.hook('PreToolUse', body)).text)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny', permissionDecisionReason: 'deploys go through CI' } });
  });
});
