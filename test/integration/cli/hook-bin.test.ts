import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createHookGate } from '../../../src/hooks/gate.js';
import { startTestServer, type TestServer, TOKEN } from '../server/helpers.js';
import { writeProject } from './run-cli.js';

// `corral hook` as Claude Code runs it: the `corral` command (bin/corral, a sh script), which runs the hook's
// own bundle, dist/corral-hook.cjs (scripts/build-hook.js; test/helpers/global-setup.ts builds it when stale).
const BIN = resolve('bin/corral');
const BUNDLE = resolve('dist/corral-hook.cjs');

let dir: string;
let srv: TestServer | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-hook-bin-'));
});
afterEach(async () => {
  await srv?.close();
  srv = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `bin/corral ARGS` with `input` on stdin; a preload writes the script Node ran (process.argv[1]) to `ran`. */
function corral(args: string[], input: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; ran: string }> {
  const probe = join(dir, 'probe.cjs');
  const ranFile = join(dir, 'ran.txt');
  writeFileSync(probe, `require('node:fs').writeFileSync(${JSON.stringify(ranFile)}, process.argv[1]);\n`);
  const child = spawn(BIN, args, { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: join(dir, 'xdg'), NODE_OPTIONS: `--require ${probe}`, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input);
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr, ran: existsSync(ranFile) ? readFileSync(ranFile, 'utf8') : '' })));
}

describe('bin/corral hook (the bundle)', () => {
  test('runs dist/corral-hook.cjs, not the whole CLI, and the daemon stores the hook with the id the hook chose', async () => {
    srv = await startTestServer({ auth: 'required' });
    writeProject(dir, { port: srv.server.port, token: TOKEN });
    const body = { session_id: 'sess-b', cwd: '/home/u/shop', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } };
    const r = await corral(['hook', 'PreToolUse'], JSON.stringify(body));
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '', ran: BUNDLE });
    const [e] = srv.bus.history({ event_type: 'PreToolUse' }).events;
    expect(e?.event).toMatchObject({ source: 'claude-code', source_app: 'shop', session_id: 'sess-b', payload: body });
    // The id comes from the hook (x-corral-event-id), a time-ordered (version 7) UUID with random bits from /dev/urandom.
    expect(e?.event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ms = parseInt(e!.event.id.slice(0, 8) + e!.event.id.slice(9, 13), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(60_000);
  });

  test('a hooks.deny decision reaches stdout through the bundle', async () => {
    const gate = createHookGate({ deny: [{ tool: 'Bash', match: 'rm -rf' }], ask: [], ask_timeout: 60_000, ask_default: 'allow' }, () => {});
    srv = await startTestServer({ hooks: gate });
    writeProject(dir, { port: srv.server.port });
    const r = await corral(['hook', 'PreToolUse'], JSON.stringify({ session_id: 's', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf /' } }));
    expect(r.code).toBe(0);
    expect(r.ran).toBe(BUNDLE);
    expect(JSON.parse(r.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'deny' } });
  });

  test('--print-settings prints what the whole CLI prints (bin/corral by its path when corral is not on PATH); --help is the CLI’s usage', async () => {
    // A PATH with node but no `corral`.
    const nodeOnly = join(dir, 'node-only');
    mkdirSync(nodeOnly);
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    const env = { PATH: `${nodeOnly}:/usr/bin:/bin` };
    expect(spawnSync('sh', ['-c', 'command -v corral'], { env }).status).not.toBe(0);
    const viaBundle = await corral(['hook', '--print-settings'], '', env);
    expect(viaBundle.ran).toBe(BUNDLE);
    const cli = spawn(process.execPath, [resolve('bin/corral.js'), 'hook', '--print-settings'], { cwd: dir, env: { ...env, HOME: dir } });
    let text = '';
    let err = '';
    cli.stdout.on('data', (c: Buffer) => (text += c.toString()));
    cli.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await new Promise((r) => cli.on('close', r));
    expect(viaBundle.stdout).toBe(text);
    expect(JSON.parse(text).hooks.PreToolUse[0].hooks[0].command).toBe(`${realpathSync(BIN)} hook PreToolUse`);
    expect(err).toBe(`corral hook: \`corral\` is not on PATH, so the settings run ${realpathSync(BIN)}\n`);
    expect(viaBundle.stderr).toBe(err);

    // With `corral` on PATH (as after npm install -g): plain `corral hook`, nothing on stderr.
    const shimDir = join(dir, 'shim');
    mkdirSync(shimDir);
    symlinkSync(BIN, join(shimDir, 'corral'));
    const onPath = await corral(['hook', '--print-settings'], '', { PATH: `${shimDir}:${env.PATH}` });
    expect(JSON.parse(onPath.stdout).hooks.PreToolUse[0].hooks[0].command).toBe('corral hook PreToolUse');
    expect(onPath.stderr).toBe('');
    const help = await corral(['hook', '--help'], '');
    expect(help.ran).toBe(resolve('bin/corral.js'));
    expect(help.stdout).toMatch(/^usage: corral hook \[EVENT\]/);
  });
});
