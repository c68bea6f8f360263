import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { transpileSrc } from '../../helpers/transpile-src.js';

const RUNNER = resolve('test/fixtures/run-cli-command.mjs');
const modules = new Map<string, string>();

/** The transpiled module of `corral <command>`, made once per test file. */
export function cliModule(command: 'hook' | 'emit' | 'events'): string {
  let m = modules.get(command);
  if (!m) {
    m = transpileSrc(`src/cli/${command}.ts`, 'cli');
    modules.set(command, m);
  }
  return m;
}

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `corral <command> args` in `cwd` with `env` added to a clean environment. */
export function startCli(command: 'hook' | 'emit' | 'events', args: string[], opts: { cwd: string; env?: Record<string, string>; stdin?: 'pipe' | 'ignore' }): CliRun {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: opts.cwd, NO_COLOR: '1', ...opts.env };
  const child = spawn(process.execPath, [RUNNER, cliModule(command), ...args], { cwd: opts.cwd, env, stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** A project directory with a config whose state dir points at a running daemon. */
export function writeProject(dir: string, daemon: { port: number; token?: string } | null): string {
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, 'version: 1\n');
  const state = join(dir, '.corral');
  mkdirSync(state, { recursive: true });
  if (daemon) {
    writeFileSync(join(state, 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: daemon.port, started_at: Date.now(), version: 'test', config }));
    if (daemon.token) writeFileSync(join(state, 'token'), `${daemon.token}\n`, { mode: 0o600 });
  }
  return config;
}
