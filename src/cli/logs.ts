import { existsSync } from 'node:fs';
import { findConfig, statePaths } from '../daemon/paths.js';
import { listLogNames } from '../logs/index.js';
import { logFileName } from '../logs/format.js';
import { join } from 'node:path';
import { parseArgs, UsageError, useColor } from './args.js';
import { ownStateDir } from './daemon-client.js';
import { showLogs } from './log-view.js';
import { runCommand } from './run-command.js';

/**
 * `corral logs [NAME...] [-f] [-n N] [-t]`: captured stdout/stderr, prefixed
 * and coloured per component, interleaved by time. Reads the files in the
 * state directory directly, so it works whether or not the daemon runs.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, { follow: 'boolean', lines: 'value', timestamps: 'boolean' }, { f: 'follow', n: 'lines', t: 'timestamps' });
    const lines = flags.lines === undefined ? 50 : Number(flags.lines);
    if (!Number.isInteger(lines) || lines < 0) throw new UsageError(`-n expects a whole number of lines, got "${String(flags.lines)}"`);

    const configPath = findConfig(flags.config as string | undefined);
    if (!configPath) {
      process.stderr.write('corral logs: no config found (corral.yaml or config/ecosystem.yaml, walking up from here); use -c FILE\n');
      return 2;
    }
    if (!existsSync(configPath)) throw new UsageError(`config file ${configPath} does not exist`);
    const dir = statePaths(ownStateDir(configPath)).logs;

    const available = listLogNames(dir);
    for (const name of positionals) {
      if (!existsSync(join(dir, logFileName(name))) && !flags.follow) {
        const known = available.length > 0 ? ` (logs exist for: ${available.join(', ')})` : '';
        process.stderr.write(`corral logs: no log for "${name}" in ${dir}${known}\n`);
        return 1;
      }
    }
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
        names: positionals,
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
