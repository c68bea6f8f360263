import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ComponentInfo } from '../../../src/supervisor/types.js';

export const repo = resolve(import.meta.dirname, '../../..');
export const bin = join(repo, 'bin', 'corral.js');
export const fixtures = join(repo, 'test', 'fixtures');

/**
 * Runs the built CLI (test/helpers/global-setup.ts builds dist/ when stale) and returns its exit code and output; `env` is added to the test's.
 * Its stdin is a pipe left open, unless `input` is given: then it reads that, then its end.
 */
export function cli(args: string[], cwd: string, timeoutMs = 60_000, env: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd, timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', ...env } }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A project directory with a corral.yaml. */
export function project(yaml: string): { dir: string; config: string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-daemon-'));
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, yaml);
  return {
    dir,
    config,
    async cleanup() {
      // Whatever a test left running: the daemon (by its pid file) and every group it recorded.
      try {
        const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number };
        await cli(['down', '--timeout', '20s'], dir);
        try {
          process.kill(info.pid, 'SIGKILL');
        } catch {}
      } catch {}
      spawnSync(process.execPath, [bin, 'down'], { cwd: dir, stdio: 'ignore', timeout: 20_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function ps(dir: string): Promise<ComponentInfo[]> {
  const r = await cli(['ps', '--json'], dir);
  if (r.code !== 0) throw new Error(`corral ps failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ComponentInfo[];
}

/** True when a process exists and is not a zombie. */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Every live process whose environment carries this marker (how a test finds all it started, grandchildren included). */
export function processesWithMarker(marker: string): number[] {
  const out: number[] = [];
  for (const d of spawnSync('ls', ['/proc']).stdout.toString().split('\n')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'utf8').includes(marker) && running(Number(d))) out.push(Number(d));
    } catch {}
  }
  return out;
}

/** SIGKILLs, by pid, every process still carrying the marker (a test's cleanup after a failure). */
export function killMarked(marker: string): void {
  for (const pid of processesWithMarker(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
