import { CorralError } from '../errors.js';
import { usageLine } from './main.js';

/** Parsed command-line arguments: flags by long name, and positionals. */
export interface ParsedArgs {
  flags: Record<string, string | boolean>;
  positionals: string[];
  /** The values of each repeatable (`list`) flag, in order; comma lists are split (`--profile a,b`). */
  lists: Record<string, string[]>;
}

/** How a flag is given: alone, with a value, or with a value and repeatable (`--profile a --profile b`). */
export type FlagKind = 'value' | 'boolean' | 'list';

/** Thrown for bad usage; the CLI prints the message and exits 2. */
export class UsageError extends CorralError {
  constructor(message: string) {
    super('CLI001', [message]);
  }
}

/**
 * A small argv parser. `spec` maps each accepted flag (long name, or a short
 * alias `-c` → `config`) to whether it takes a value. Unknown flags are usage errors.
 */
export function parseArgs(argv: string[], spec: Record<string, FlagKind>, aliases: Record<string, string> = {}): ParsedArgs {
  const flags: Record<string, string | boolean> = {};
  const lists: Record<string, string[]> = {};
  const positionals: string[] = [];
  const all: Record<string, FlagKind> = { config: 'value', ...spec };
  const alias: Record<string, string> = { c: 'config', ...aliases };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
    } else {
      const short = arg.slice(1);
      name = alias[short] ?? short;
    }
    const kind = all[name];
    if (!kind) throw new UsageError(`unknown option "${arg}"`);
    if (kind === 'boolean') {
      flags[name] = inline === undefined ? true : inline !== 'false';
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`option "${arg}" needs a value`);
      if (kind === 'list') (lists[name] ??= []).push(...value.split(',').filter((v) => v !== ''));
      else flags[name] = value;
    }
  }
  return { flags, positionals, lists };
}

/** Whether coloured output is wanted (TTY and no NO_COLOR). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** Refuses words a command does not take: `corral reload extra` is exit 2 with the usage (of `command`; events prints its own), never a word ignored. */
export function noWords(positionals: string[], command?: string): void {
  if (positionals.length > 0) throw new UsageError(`takes no arguments (got "${positionals.join(' ')}")${command ? `\n${usageLine(command)}` : ''}`);
}
