import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { COMPONENT_NAME_RE } from '../config/schema.js';
import type { ComponentInfo } from '../supervisor/types.js';
import { DEFAULT_TMUX_SESSION } from '../runners/tmux/tmux-command.js';
import { findConfig, statePaths } from '../daemon/paths.js';
import { hasLog, listLogNames } from '../logs/index.js';
import { parseArgs, UsageError, useColor } from './args.js';
import { apiRequest, findDaemon, ownStateDir } from './daemon-client.js';
import { showLogs } from './log-view.js';
import { runCommand } from './run-command.js';

/**
 * `corral logs [NAME...] [-f] [-n N] [-t]`: captured stdout/stderr, prefixed
 * and coloured per component, interleaved by time. Reads the files in the
 * state directory directly, so it works whether or not the daemon runs.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals: given } = parseArgs(args, { follow: 'boolean', lines: 'value', timestamps: 'boolean' }, { f: 'follow', n: 'lines', t: 'timestamps' });
    const lines = flags.lines === undefined ? 50 : Number(flags.lines);
    if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`-n expects a whole number of lines, got "${String(flags.lines)}"`);
    // A name picks a file in the state directory: only a component name (or the daemon's own) may, never a path.
    for (const name of given) {
      if (!COMPONENT_NAME_RE.test(name)) {
        throw new UsageError(`"${name}" is not a component name (names use letters, digits, _ . - and start with a letter or digit)`);
      }
    }

    const configPath = findConfig(flags.config as string | undefined);
    if (!configPath) {
      process.stderr.write('corral logs: no config found (corral.yaml or config/ecosystem.yaml, walking up from here); use -c FILE\n');
      return 2;
    }
    if (!existsSync(configPath)) throw new UsageError(`config file ${configPath} does not exist`);
    const dir = statePaths(ownStateDir(configPath)).logs;

    const available = listLogNames(dir);
    // What the running daemon says of the named components (none when it is not running).
    const live = given.length > 0 ? await daemonComponents(configPath) : [];
    // The name of an entry with `replicas` stands for its replicas (NAME-1 … NAME-N), as the daemon lists them.
    const positionals = given.flatMap((n) => {
      const replicas = live.some((c) => c.name === n) ? [] : live.filter((c) => c.replica_of === n).map((c) => c.name);
      return replicas.length > 0 ? replicas : [n];
    });
    // A tmux component's output goes to its tmux window, not to a log: say where it is instead.
    const inTmux = positionals.length > 0 ? tmuxComponents(configPath, positionals, live) : new Map<string, string>();
    for (const [name, session] of inTmux) {
      process.stderr.write(
        `corral logs: "${name}" runs in tmux: its output is in its window of tmux session "${session}", not in a log; see it with \`corral attach ${name}\`` +
          `${hasLog(dir, name) ? ' (below: what corral itself logged about it)' : ''}\n`,
      );
    }
    const names = positionals.filter((name) => !inTmux.has(name) || hasLog(dir, name));
    const declared = positionals.length > 0 ? configComponentNames(configPath) : null;
    let failed = false;
    for (const name of names) {
      if (!hasLog(dir, name) && !flags.follow) {
        // One that failed before printing anything (say its program or cwd is missing): the daemon has the reason.
        const status = live.find((c) => c.name === name);
        if (status?.state === 'failed') {
          process.stderr.write(`corral logs: "${name}" printed nothing; it is failed${status.reason ? `: ${status.reason}` : ''}\n`);
          failed = true;
          continue;
        }
        // A component of this config that has not printed anything yet is not an error; a name it does not have is.
        if (declared?.has(name)) {
          process.stderr.write(`corral logs: "${name}" has printed nothing yet (its log starts with its first line; -f waits for it)\n`);
          continue;
        }
        const known = available.length > 0 ? ` (logs exist for: ${available.join(', ')})` : '';
        const components = declared && declared.size > 0 ? `; the components of ${configPath} are: ${[...declared].join(', ')}` : '';
        process.stderr.write(`corral logs: no log for "${name}" in ${dir}${known}${components}\n`);
        return 1;
      }
    }
    if (!flags.follow && names.length > 0 && names.every((n) => !hasLog(dir, n))) return failed ? 1 : 0;
    // Only tmux components, with nothing corral logged about them: there is nothing to show here.
    if (positionals.length > 0 && names.length === 0) return 1;
    if (positionals.length === 0 && available.length === 0 && !flags.follow) {
      process.stderr.write(`corral logs: no logs yet in ${dir}\n`);
      return 0;
    }

    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // `corral logs | head` closes the pipe: end quietly.
    process.stdout.on('error', stop);
    try {
      await showLogs({
        dir,
        names,
        lines,
        follow: flags.follow === true,
        timestamps: flags.timestamps === true,
        color: useColor(),
        write: (text) => {
          if (!controller.signal.aborted) process.stdout.write(text);
        },
        signal: controller.signal,
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.off('error', stop);
    }
    return 0;
  }, 'logs');
}

/** The components as the running daemon reports them; empty when it is not running or does not answer. */
async function daemonComponents(configPath: string): Promise<ComponentInfo[]> {
  const target = findDaemon(configPath);
  if (!target.info) return [];
  try {
    const res = await apiRequest<{ components?: ComponentInfo[] }>(target, 'GET', '/api/components', undefined, 2000);
    return res.status === 200 ? (res.body?.components ?? []) : [];
  } catch {
    return [];
  }
}

/**
 * Which of `names` run in tmux, with their session: the running daemon says
 * so for any component (plugins too); without a daemon, the config's
 * `plugin: tmux` entries.
 */
function tmuxComponents(configPath: string, names: string[], live: ComponentInfo[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const c of live) if (names.includes(c.name) && c.attach?.kind === 'tmux') found.set(c.name, c.attach.session);
  if (live.length > 0) return found;
  try {
    const text = readFileSync(configPath, 'utf8');
    const raw = (configPath.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { components?: Record<string, unknown> } | null;
    for (const name of names) {
      const entry = raw?.components?.[name] as { plugin?: unknown; session?: unknown } | undefined;
      if (entry?.plugin === 'tmux') found.set(name, typeof entry.session === 'string' ? entry.session : DEFAULT_TMUX_SESSION);
    }
  } catch {}
  return found;
}

/** The component names of the config file, or null when it cannot be read. */
function configComponentNames(configPath: string): Set<string> | null {
  try {
    const text = readFileSync(configPath, 'utf8');
    const raw = (configPath.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { components?: Record<string, unknown> } | null;
    return new Set(Object.keys(raw?.components ?? {}));
  } catch {
    return null;
  }
}
