import { describe, expect, it } from 'vitest';
import { COMMAND_OPTIONS } from '../../../src/cli/completion.js';
import { COMMANDS } from '../../../src/cli/main.js';
import { accepted, sourcesOf } from '../../helpers/cli-options.js';

// The shells complete every command and, for each, exactly the options its
// parser accepts (long names and their short aliases, read from the module's
// parseArgs calls as test/unit/cli/help-options.test.ts does for the help):
// src/cli/completion.ts keeps its own table, so a command or an option it
// misses fails here.

/** ps's other names (src/cli/main.ts ALIASES). */
const ALIASES: Record<string, string> = { ls: 'ps', list: 'ps', status: 'ps' };
const commands = Object.keys(COMMANDS).filter((c) => c !== 'daemon' && !c.startsWith('__'));

/** `--name` for each long option the command's parser takes and `-x` for each short alias, without -c/--config and -h/--help. */
function parserOptions(command: string): string[] {
  const { long, alias } = accepted(sourcesOf(COMMANDS[ALIASES[command] ?? command]!));
  const all = [...[...long].map((l) => `--${l}`), ...[...alias.keys()].map((a) => `-${a}`)];
  return all.filter((o) => !['-c', '--config', '-h', '--help'].includes(o)).sort();
}

describe('shell completion against the parsers', () => {
  it('completes every command and its other names, and no other', () => {
    expect(Object.keys(COMMAND_OPTIONS).sort()).toEqual([...commands, ...Object.keys(ALIASES)].sort());
  });
  // Commands of one module (approve, deny, decisions) share its parseArgs calls: checked together, as the help is.
  const byModule = new Map<string, string[]>();
  for (const c of Object.keys(COMMAND_OPTIONS)) {
    const mod = COMMANDS[ALIASES[c] ?? c]!;
    byModule.set(mod, [...(byModule.get(mod) ?? []), c]);
  }
  for (const [mod, group] of byModule) {
    it(`${group.join('/')}: completes the options the parser takes`, () => {
      const completed = new Set(group.flatMap((c) => COMMAND_OPTIONS[c]!));
      expect([...completed].sort(), mod).toEqual(parserOptions(group[0]!));
    });
  }
});
