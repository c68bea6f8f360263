import { describe, expect, it } from 'vitest';
import { COMMANDS, commandUsage } from '../../../src/cli/main.js';
import { accepted, sourcesOf } from '../../helpers/cli-options.js';

// Every command's --help lists exactly the options its parser accepts: the
// options are read from the parseArgs calls in its module's source (the
// accepted-option table), the help from src/cli/main.ts's usage.

/** The options a command's help shows (the `Every command takes -c FILE` line left out). */
function shown(command: string): Set<string> {
  const text = commandUsage(command).split('\n\nEvery command takes')[0]!;
  return new Set([...text.matchAll(/(?<![\w-])(--?[a-z][\w-]*)/g)].map((m) => m[1]!));
}

describe('help text against the accepted options', () => {
  const modules = new Map<string, string[]>();
  for (const [command, mod] of Object.entries(COMMANDS)) {
    if (command === 'daemon' || command.startsWith('__')) continue; // internal: what `up -d` starts, the shells' completion hook
    modules.set(mod, [...(modules.get(mod) ?? []), command]);
  }
  for (const [mod, commands] of modules) {
    it(`${commands.join('/')}: the help lists every option the parser takes, and no other`, () => {
      const files = sourcesOf(mod);
      const { long, alias } = accepted(files);
      const inHelp = new Set<string>();
      for (const c of commands) for (const o of shown(c)) inHelp.add(o.startsWith('--') ? o.slice(2) : (alias.get(o.slice(1)) ?? (o === '-c' ? 'config' : o)));
      inHelp.delete('config'); // every command takes -c FILE
      expect([...inHelp].sort(), `help of ${commands.join('/')}`).toEqual([...long].sort());
    });
  }

  it('up and down list --timeout', () => {
    expect(commandUsage('up')).toContain('--timeout');
    expect(commandUsage('down')).toContain('--timeout');
  });
});
