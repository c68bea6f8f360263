import { corralVersion } from '../version.js';
import { findConfig } from '../daemon/paths.js';
import { parseArgs } from './args.js';
import { runCommand } from './run-command.js';

/**
 * `corral daemon -c FILE [--profile P]... [NAME...]`: the daemon in the foreground with its log on stderr (what
 * `corral up -d` starts); the names and profiles are `corral up`'s.
 */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals, lists } = parseArgs(args, { profile: 'list' });
    const configPath = findConfig(flags.config as string | undefined);
    if (!configPath) {
      process.stderr.write('corral daemon: no config found (give -c FILE, set CORRAL_CONFIG, or create corral.yaml or config/ecosystem.yaml in this directory or a parent)\n');
      return 2;
    }
    const { startDaemon, DaemonStartError } = await import('../daemon/daemon.js');
    try {
      const daemon = await startDaemon({
        configPath,
        version: corralVersion(),
        handleSignals: true,
        selection: { names: positionals, profiles: lists.profile ?? [] },
        echoLog: (line) => process.stderr.write(line),
      });
      await daemon.done;
      // Everything corral owns is closed; a handle something else left open
      // (a pipe held by a process that escaped its group) must not keep a
      // daemon without a port alive, invisible to the CLI.
      setTimeout(() => process.exit(0), 1000).unref();
      return 0;
    } catch (err) {
      if (err instanceof DaemonStartError) {
        process.stderr.write(`corral: ${err.message}\n`);
        return err.exitCode;
      }
      throw err;
    }
  }, 'daemon');
}
