import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as pty from 'node-pty';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Instance } from '../../../src/plugins/types.js';
import { runPty } from '../../../src/runners/pty/index.js';
import { runTmux } from '../../../src/runners/tmux/run-tmux.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';
import { alive, openAttach } from './runner-helpers.js';
import { transpileCli } from './transpile-cli.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { waitFor } from '../../helpers/wait-for.js';

const TOKEN = 'test-token-0123456789';

/**
 * `corral attach` run for real, in a real terminal (node-pty), against a
 * stand-in daemon: a config, a state directory with daemon.json and token,
 * and an HTTP server answering GET /api/components with the token.
 */
describe('corral attach (CLI in a real pty)', () => {
  let buildDir: string;
  let cli: string;
  let dir: string;
  let server: Server;
  let rows: Partial<ComponentInfo>[] = [];
  const instances: Instance[] = [];
  const terms: pty.IPty[] = [];
  let tmuxSocket: string | null = null;

  beforeAll(() => {
    buildDir = mkdtempSync(join(tmpdir(), 'corral-cli-build-'));
    cli = transpileCli(buildDir);
  });
  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-attach-'));
    writeFileSync(join(dir, 'corral.yaml'), 'version: 1\n');
    server = createServer((req, res) => {
      if (req.url !== '/api/components' || req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end('{"error":"unauthorized"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const state = join(dir, '.corral');
    mkdirSync(state);
    writeFileSync(join(state, 'token'), TOKEN, { mode: 0o600 });
    const { port } = server.address() as AddressInfo;
    writeFileSync(join(state, 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port, started_at: Date.now(), version: 'test', config: join(dir, 'corral.yaml') }));
  });
  afterEach(async () => {
    for (const t of terms.splice(0)) {
      try {
        t.kill('SIGKILL');
      } catch {}
    }
    await Promise.allSettled(instances.splice(0).map((i) => i.stop('SIGKILL', 1000)));
    if (tmuxSocket) {
      killTestTmuxServer(tmuxSocket);
      tmuxSocket = null;
    }
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  function runCli(...args: string[]): { term: pty.IPty; text: () => string; exit: Promise<number> } {
    const env = { ...process.env, NO_COLOR: '1' } as Record<string, string>;
    delete env.TMUX;
    delete env.CORRAL_CONFIG;
    const term = pty.spawn(process.execPath, [cli, ...args, '-c', join(dir, 'corral.yaml')], { cwd: dir, env, cols: 100, rows: 30 });
    terms.push(term);
    let out = '';
    term.onData((d) => (out += d));
    const exit = new Promise<number>((r) => term.onExit(({ exitCode }) => r(exitCode)));
    return { term, text: () => out, exit };
  }

  it('pty: shows the scrollback, sends keys, detaches with Ctrl-] d and leaves the component running', async () => {
    const instance = await runPty({ name: 'echo', command: [process.execPath, resolve('test/fixtures/pty-echo.mjs')], stateDir: join(dir, '.corral') });
    instances.push(instance);
    rows = [{ name: 'echo', plugin: 'pty', state: 'running', pid: instance.pid, attach: instance.attach }];

    const { term, text, exit } = runCli('attach', 'echo');
    await waitFor('the attach banner', () => text().includes('attached to echo — detach with Ctrl-] then d'));
    await waitFor('the scrollback', () => text().includes('ready tty=true'));
    // The CLI sends its own terminal's size on connect.
    term.write('hello from the cli\r');
    await waitFor('the echoed line', () => text().includes('got: hello from the cli'));
    term.write('\x1d');
    term.write('d');
    expect(await exit).toBe(0);
    expect(text()).toContain('detached from echo (it keeps running)');

    expect(alive(instance.pid!)).toBe(true);
    const again = await openAttach((instance.attach as { socketPath: string }).socketPath);
    await waitFor('the earlier session replayed', () => again.text().includes('got: hello from the cli'));
    again.socket.destroy();
  });

  it('tmux: attaches to the component\'s window; detaching leaves it running', async () => {
    tmuxSocket = `corral-test-${randomBytes(4).toString('hex')}`;
    const keeper = await runTmux({ name: 'keeper', command: 'sleep 60', session: 'eco', socket: tmuxSocket });
    const shown = await runTmux({ name: 'shown', command: ['sh', '-c', 'echo marker-in-window; sleep 60'], session: 'eco', socket: tmuxSocket });
    instances.push(keeper, shown);
    rows = [
      { name: 'keeper', plugin: 'tmux', state: 'running', attach: keeper.attach },
      { name: 'shown', plugin: 'tmux', state: 'running', attach: shown.attach },
    ];
    const { text, exit } = runCli('attach', 'shown');
    await waitFor('the window\'s output on screen', () => text().includes('marker-in-window'));
    const tmux = (...a: string[]) => execFileSync('tmux', ['-L', tmuxSocket!, ...a], { encoding: 'utf8' });
    expect(tmux('list-windows', '-t', '=eco', '-F', '#{window_active} #{window_name}')).toContain('1 shown');
    tmux('detach-client', '-s', '=eco');
    expect(await exit).toBe(0);
    expect(alive(shown.pid!)).toBe(true);
  });

  it('tmux: NAME:WINDOW lands on another window of the session, by name or index, opened by hand too', async () => {
    tmuxSocket = `corral-test-${randomBytes(4).toString('hex')}`;
    const first = await runTmux({ name: 'orch.agent', window: 'agent', command: ['sh', '-c', 'echo marker-in-agent; sleep 60'], session: 'eco', socket: tmuxSocket });
    const second = await runTmux({ name: 'orch.server', window: 'server', command: ['sh', '-c', 'echo marker-in-server; sleep 60'], session: 'eco', socket: tmuxSocket });
    instances.push(first, second);
    const tmux = (...a: string[]) => execFileSync('tmux', ['-L', tmuxSocket!, ...a], { encoding: 'utf8' });
    // A window the user opened by hand, which no component knows about.
    tmux('new-window', '-d', '-t', '=eco', '-n', 'by-hand', 'sh -c "echo marker-by-hand; sleep 60"');
    // A tmux-orchestrator component: its attach info names its first window.
    rows = [{ name: 'orch', plugin: 'tmux-orchestrator', state: 'running', pid: first.pid, attach: { kind: 'tmux', socket: tmuxSocket, session: 'eco', window: 'agent' } }];
    const active = () => tmux('list-windows', '-t', '=eco', '-F', '#{window_active} #{window_name}').split('\n').find((l) => l.startsWith('1 '));

    for (const [target, name, marker] of [
      ['orch:by-hand', 'by-hand', 'marker-by-hand'],
      [`orch:${second.windowIndex}`, 'server', 'marker-in-server'],
      ['orch', 'agent', 'marker-in-agent'],
    ] as const) {
      const { text, exit } = runCli('attach', target);
      await waitFor(`the output of window ${name} on screen (attach ${target})`, () => text().includes(marker));
      expect(active()).toBe(`1 ${name}`);
      tmux('detach-client', '-s', '=eco');
      expect(await exit).toBe(0);
    }
    expect(alive(first.pid!) && alive(second.pid!)).toBe(true);
  });

  it('tmux: NAME:WINDOW with no such window names the windows there are; a pty component has none', async () => {
    tmuxSocket = `corral-test-${randomBytes(4).toString('hex')}`;
    const only = await runTmux({ name: 'solo', command: 'sleep 60', session: 'eco', socket: tmuxSocket });
    const echo = await runPty({ name: 'echo', command: [process.execPath, resolve('test/fixtures/pty-echo.mjs')], stateDir: join(dir, '.corral') });
    instances.push(only, echo);
    rows = [
      { name: 'solo', plugin: 'tmux', state: 'running', attach: only.attach },
      { name: 'echo', plugin: 'pty', state: 'running', attach: echo.attach },
    ];
    const missing = runCli('attach', 'solo:nope');
    expect(await missing.exit).toBe(2);
    expect(missing.text()).toContain(`no window "nope" in "solo" (tmux session "eco"); its windows: ${only.windowIndex} solo`);
    const noIndex = runCli('attach', `solo:${only.windowIndex + 7}`);
    expect(await noIndex.exit).toBe(2);
    expect(noIndex.text()).toContain(`no window "${only.windowIndex + 7}" in "solo"`);
    const pty = runCli('attach', 'echo:main');
    expect(await pty.exit).toBe(2);
    expect(pty.text()).toContain('"echo" runs in a terminal of its own (pty), which has no windows: use corral attach echo');
    const empty = runCli('attach', 'solo:');
    expect(await empty.exit).toBe(2);
    expect(empty.text()).toContain('usage: corral attach NAME[:WINDOW]');
    // No client ever attached: the errors came before tmux was handed the terminal.
    expect(execFileSync('tmux', ['-L', tmuxSocket, 'list-clients'], { encoding: 'utf8' })).toBe('');
  });

  it('names the components there are when the name is unknown, and refuses a component without a terminal', async () => {
    rows = [{ name: 'web', plugin: 'process', state: 'running' }];
    const unknown = runCli('attach', 'nope');
    expect(await unknown.exit).toBe(2);
    expect(unknown.text()).toContain('no component named "nope" (there are: web)');
    const plain = runCli('attach', 'web');
    expect(await plain.exit).toBe(1);
    expect(plain.text()).toContain('its plugin "process" gives it no terminal');
  });
});
