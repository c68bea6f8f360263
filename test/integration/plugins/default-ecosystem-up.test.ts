import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { alive } from './runner-helpers.js';
import { killTestTmuxServer } from '../../helpers/tmux-server.js';
import { freePort } from '../../helpers/free-port.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'bin', 'corral.js');
// The daemon runs as its own process from the build: `npm test` builds before it runs the tests.

let dir = '';
let socket = '';

function corral(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}



afterAll(async () => {
  if (!dir) return;
  // Whatever happened, nothing of this test may keep running.
  try {
    const info = join(dir, 'state', 'daemon.json');
    const pid = existsSync(info) ? (JSON.parse(readFileSync(info, 'utf8')) as { pid: number }).pid : null;
    if (pid !== null && alive(pid)) {
      await corral(['down', '-c', join(dir, 'ecosystem.yaml')], 30_000);
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  } catch {
    // daemon.json went away meanwhile: the daemon is down.
  } finally {
    killTestTmuxServer(socket);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the default ecosystem, brought up and down', () => {
  it('starts every enabled component, shows the monitor in tmux, and leaves nothing running after down', async () => {
    dir = mkdtempSync(join(tmpdir(), 'corral-eco-'));
    socket = `corral-test-${randomBytes(4).toString('hex')}`;
    const [busPort, webPort] = [await freePort(), await freePort()];
    const config = join(dir, 'ecosystem.yaml');
    // The shipped file, moved to free ports, a private tmux server and a temp state directory.
    const text = readFileSync(join(root, 'config', 'ecosystem.yaml'), 'utf8')
      .replace('# yaml-language-server: $schema=./ecosystem.schema.json', `# yaml-language-server: $schema=${join(root, 'config', 'ecosystem.schema.json')}`)
      .replace(/^version: 1$/m, `version: 1\nstate_dir: ${join(dir, 'state')}`)
      .replace(/port: 4000/g, `port: ${busPort}`)
      .replace(/127\.0\.0\.1:4000/g, `127.0.0.1:${busPort}`)
      .replace(/8765/g, String(webPort))
      // flaky crashes after 8 s; `up -d` rightly calls a component that exited during its wait not ready, and a loaded CI machine can take that long.
      .replace('CRASH_AFTER_MS: 8000', 'CRASH_AFTER_MS: 120000')
      .replace(/cwd: \.\./g, `cwd: ${root}`)
      .replace('-c config/ecosystem.yaml', `-c ${config}`)
      .replace('    keep_session: false', `    keep_session: false\n    socket: ${socket}`);
    writeFileSync(config, text);

    const up = await corral(['up', '-d', '-c', config]);
    expect(up.stderr + up.stdout).toContain('corral is up');
    expect(up.code).toBe(0);

    const ps = await corral(['ps', '--json', '-c', config]);
    const rows = JSON.parse(ps.stdout) as Array<{ name: string; state: string; pid: number | null }>;
    const state = Object.fromEntries(rows.map((r) => [r.name, r.state]));
    expect(state).toMatchObject({ router: 'disabled', flow: 'disabled', web: 'healthy', tmux: 'healthy' });
    const pids = rows.map((r) => r.pid).filter((p): p is number => typeof p === 'number');

    const windows = spawnSync('tmux', ['-L', socket, 'list-windows', '-t', '=corral', '-F', '#{window_name}'], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(windows).toEqual(['monitor', 'shell']);

    const once = await corral(['monitor', '--once', '-c', config, '--type', 'tmux.*,component.*']);
    expect(once.code).toBe(0);
    expect(once.stdout).toMatch(/^web\s+(running|healthy)\s.*healthy$/m);
    expect(once.stdout).not.toMatch(/^cli-monitor/m);
    expect(once.stdout).toContain('tmux.session.created');

    const down = await corral(['down', '-c', config]);
    expect(down.code).toBe(0);
    expect(spawnSync('tmux', ['-L', socket, 'has-session', '-t', '=corral']).status).not.toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);
});
