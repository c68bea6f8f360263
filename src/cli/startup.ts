import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findConfig } from '../daemon/paths.js';
import { parseArgs, UsageError } from './args.js';
import { runCommand } from './run-command.js';

/** `corral-<dir>`: the unit's name from the project's directory (the config's, or its parent for config/ecosystem.yaml), sanitised. */
export function unitName(configPath: string): string {
  let dir = dirname(resolve(configPath));
  if (basename(dir) === 'config' && dirname(dir) !== dir) dir = dirname(dir);
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return `corral-${name || 'root'}`;
}

/** One argument of ExecStart=: double-quoted, with `\` `"` C-escaped, specifiers (`%`) and variable references (`$`) doubled. */
function quoteArg(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/**
 * A path setting such as WorkingDirectory=: systemd takes the rest of the line
 * as the path, unquoted (a quoted one is "not absolute"), spaces included, and
 * expands only specifiers, so `%` alone is doubled.
 */
function pathValue(path: string): string {
  return path.replace(/%/g, '%%');
}

/**
 * The systemd user unit that runs `corral up` on this config: absolute node
 * and corral paths (a login shell's PATH is not the unit's), the config's
 * directory as WorkingDirectory, restarted when corral itself fails. SIGTERM
 * goes to corral alone (KillMode=mixed), so it stops the components in
 * reverse dependency order itself; whatever is left after the timeout is killed.
 */
export function renderUnit(configPath: string, node = process.execPath, bin = corralBin()): string {
  const config = resolve(configPath);
  return [
    '[Unit]',
    `Description=corral: ${config.replace(/%/g, '%%')}`,
    'After=network.target',
    '',
    '[Service]',
    'Type=simple',
    `WorkingDirectory=${pathValue(dirname(config))}`,
    `ExecStart=${[node, bin, 'up', '--no-logs', '-c', config].map(quoteArg).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    'KillMode=mixed',
    'TimeoutStopSec=90',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function corralBin(): string {
  return fileURLToPath(new URL('../../../bin/corral.js', import.meta.url));
}

/** `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`). */
export function userUnitDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(base, 'systemd', 'user');
}

/** `systemctl` (CORRAL_SYSTEMCTL names another program: what tests use where systemd cannot run). */
function systemctl(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(process.env.CORRAL_SYSTEMCTL || 'systemctl', ['--user', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** Whether a user's systemd manager runs here: the system booted with systemd and `systemctl --user` answers. */
function systemdRunning(): boolean {
  if (!process.env.CORRAL_SYSTEMCTL && !existsSync('/run/systemd/system')) return false;
  const state = systemctl(['is-system-running']).out.split('\n')[0] ?? '';
  return ['running', 'degraded', 'starting', 'initializing'].includes(state);
}

/**
 * `corral startup [--print|--remove] [-c FILE]`: runs this config's corral
 * at login as a systemd user unit. Writes the unit, then `daemon-reload` and
 * `enable --now`; where systemd is not running it prints the unit and how to
 * install it. `--print` only prints; `--remove` disables and removes it.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, { print: 'boolean', remove: 'boolean' });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (usage: corral startup [--print|--remove] [-c FILE])`);
    if (flags.print && flags.remove) throw new UsageError('--print and --remove do not go together');
    const configPath = findConfig(flags.config as string | undefined);
    if (!configPath || !existsSync(configPath)) {
      process.stderr.write('corral startup: no config found (give -c FILE, set CORRAL_CONFIG, or run it in the project)\n');
      return 2;
    }
    const name = unitName(configPath);
    const file = join(userUnitDir(), `${name}.service`);
    const unit = renderUnit(configPath);
    if (flags.print) {
      process.stdout.write(unit);
      return 0;
    }
    const running = systemdRunning();
    if (flags.remove) return remove(name, file, running);
    if (!running) {
      process.stdout.write(unit);
      process.stderr.write(
        `corral startup: systemd is not running here, so nothing was installed. Where it runs: save the unit above as ${file}, then\n` +
          `  systemctl --user daemon-reload && systemctl --user enable --now ${name}.service\n` +
          `(\`loginctl enable-linger $USER\` starts it at boot rather than at login)\n`,
      );
      return 0;
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, unit);
    for (const step of [['daemon-reload'], ['enable', '--now', `${name}.service`]]) {
      const r = systemctl(step);
      if (!r.ok) {
        process.stderr.write(`corral startup: wrote ${file}, but \`systemctl --user ${step.join(' ')}\` failed: ${r.out}\n`);
        return 1;
      }
    }
    process.stdout.write(`corral startup: ${name}.service runs \`corral up\` on ${resolve(configPath)} at login (unit: ${file}; \`corral startup --remove\` undoes it)\n`);
    return 0;
  }, 'startup');
}

function remove(name: string, file: string, running: boolean): number {
  const had = existsSync(file);
  if (running) {
    const r = systemctl(['disable', '--now', `${name}.service`]);
    if (!r.ok && had) process.stderr.write(`corral startup: \`systemctl --user disable --now ${name}.service\`: ${r.out}\n`);
  }
  rmSync(file, { force: true });
  if (running) systemctl(['daemon-reload']);
  process.stdout.write(had ? `corral startup: removed ${file}${running ? ` and disabled ${name}.service` : ''}\n` : `corral startup: no unit at ${file}; nothing to remove\n`);
  return 0;
}
