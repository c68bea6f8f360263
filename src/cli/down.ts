import { endOrphanGroups } from '../daemon/groups.js';
import { rmSync } from 'node:fs';
import { isAlive, isCorralProcess, statePaths } from '../daemon/paths.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { parseArgs } from './args.js';
import { apiRequest, DaemonNotRunningError, findDaemon, type DaemonTarget } from './daemon-client.js';
import { runCommand } from './run-command.js';

/**
 * `corral down [NAME...] [--timeout 60s]`: stop every component, then the daemon; names whatever blocks it.
 * With names: those and what depends on them, and the daemon keeps running.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, { timeout: 'value' });
    const target = findDaemon(flags.config as string | undefined, { control: 'down' });
    const timeoutMs = flags.timeout ? (await import('../config/units.js')).parseDuration(String(flags.timeout)) : 60_000;
    if (positionals.length > 0) return downSome(target, positionals, timeoutMs);
    let res;
    try {
      res = await apiRequest(target, 'POST', '/api/shutdown');
    } catch (err) {
      if (!(err instanceof DaemonNotRunningError)) throw err;
      // No daemon: still end any process group a crashed daemon left behind.
      const ended = target.stateDir ? await endOrphanGroups(target.stateDir) : [];
      // The daemon.json of a daemon that died would keep claiming the state directory.
      if (target.stateDir && target.info && !(isAlive(target.info.pid) && isCorralProcess(target.info.pid))) {
        rmSync(statePaths(target.stateDir).daemon, { force: true });
      }
      process.stdout.write(ended.length > 0 ? `corral was not running; ended leftover components: ${ended.join(', ')}\n` : 'corral is not running\n');
      return 0;
    }
    if (res.status !== 200 && res.status !== 202) {
      process.stderr.write(`corral down: the daemon answered ${res.status}: ${JSON.stringify(res.body)}\n`);
      return 1;
    }
    const pid = target.info?.pid ?? null;
    const begun = Date.now();
    const deadline = begun + timeoutMs;
    let last: ComponentInfo[] = [];
    // Said once a second has passed, and again whenever the set changes: who is being waited for.
    let said = '';
    while (pid !== null && isAlive(pid)) {
      if (Date.now() > deadline) {
        const blocking = last.filter((c) => !['stopped', 'exited', 'failed', 'disabled', 'inactive'].includes(c.state));
        process.stderr.write(
          `corral down: still stopping after ${timeoutMs} ms${blocking.length ? `: ${blocking.map((c) => `${c.name} (pid ${c.pid})`).join(', ')}` : ''}\n`,
        );
        return 1;
      }
      try {
        const r = await apiRequest<{ components: ComponentInfo[] }>(target, 'GET', '/api/components', undefined, 1000);
        if (r.status === 200) last = r.body.components ?? last;
      } catch {}
      const stopping = last.filter((c) => c.state === 'stopping');
      const names = stopping.map((c) => `${c.name} (pid ${c.pid})`).join(', ');
      if (Date.now() - begun >= 1000 && names !== '' && names !== said) {
        said = names;
        process.stderr.write(`corral down: waiting for ${names} to stop (SIGKILL after its stop.timeout)\n`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    process.stdout.write('corral is down\n');
    return 0;
  }, 'down');
}

/** `corral down NAME...`: POST /api/down; the daemon stops them (dependants first) and keeps running. */
async function downSome(target: DaemonTarget, names: string[], timeoutMs: number): Promise<number> {
  let res;
  try {
    res = await apiRequest<{ stopping?: string[]; error?: string }>(target, 'POST', '/api/down', { names }, timeoutMs);
  } catch (err) {
    if (!(err instanceof DaemonNotRunningError)) throw err;
    // Nothing runs, so nothing to stop; a name the config does not have is still a mistake.
    if (target.configPath) {
      const { checkConfigNames } = await import('./config-names.js');
      const problem = await checkConfigNames(target.configPath, names);
      if (problem) {
        process.stderr.write(`corral down: ${problem}\n`);
        return 2;
      }
    }
    process.stdout.write('corral is not running; nothing to stop\n');
    return 0;
  }
  if (res.status === 400) {
    process.stderr.write(`corral down: ${res.body?.error ?? JSON.stringify(res.body)}\n`);
    return 2;
  }
  if (res.status !== 200) {
    process.stderr.write(`corral down: the daemon answered ${res.status}: ${res.body?.error ?? JSON.stringify(res.body)}\n`);
    return 1;
  }
  const stopped = res.body?.stopping ?? [];
  process.stdout.write(`corral down: stopped ${stopped.join(', ')}; the daemon keeps running (\`corral down\` stops everything)\n`);
  return 0;
}
