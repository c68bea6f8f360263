import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandUsage } from '../../../src/cli/main.js';

// Every command's --help lists exactly the options its parser accepts: the
// options are read from the parseArgs calls in its module's source (the
// accepted-option table), the help from src/cli/main.ts's usage.

/** The object literal starting at `from` (`{ ... }`), brace-balanced. */
function literalAt(text: string, from: number): string {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(from, i + 1);
  }
  throw new Error('unbalanced');
}

/** Long names (and the short aliases given for them) of every parseArgs call in these files. */
function accepted(files: string[]): { long: Set<string>; alias: Map<string, string> } {
  const long = new Set<string>();
  const alias = new Map<string, string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/parseArgs\(/g)) {
      // The call's text up to its closing `);`: its spec literals (one or two, or a `? {…} : {…}`) and aliases.
      let depth = 0;
      let end = m.index + 'parseArgs'.length;
      do {
        if (text[end] === '(') depth++;
        if (text[end] === ')') depth--;
        end++;
      } while (depth > 0);
      const call = text.slice(m.index, end);
      for (const lit of call.matchAll(/\{/g)) {
        if (call[lit.index - 1] === '$') continue;
        const body = literalAt(call, lit.index);
        for (const kv of body.matchAll(/'?([a-z][\w-]*)'?: '(value|boolean|list)'/g)) long.add(kv[1]!);
        for (const kv of body.matchAll(/\b([a-z]): '([a-z][\w-]*)'/g)) alias.set(kv[1]!, kv[2]!);
      }
    }
  }
  long.delete('help');
  return { long, alias };
}

/** The options a command's help shows (the `Every command takes -c FILE` line left out). */
function shown(command: string): Set<string> {
  const text = commandUsage(command).split('\n\nEvery command takes')[0]!;
  return new Set([...text.matchAll(/(?<![\w-])(--?[a-z][\w-]*)/g)].map((m) => m[1]!));
}

const SOURCES: Record<string, string[]> = { './hook.js': ['src/cli/hook.ts', 'src/cli/hook-settings.ts'] };

describe('help text against the accepted options', () => {
  const modules = new Map<string, string[]>();
  for (const [command, mod] of Object.entries(COMMANDS)) {
    if (command === 'daemon' || command.startsWith('__')) continue; // internal: what `up -d` starts, the shells' completion hook
    modules.set(mod, [...(modules.get(mod) ?? []), command]);
  }
  for (const [mod, commands] of modules) {
    it(`${commands.join('/')}: the help lists every option the parser takes, and no other`, () => {
      const files = SOURCES[mod] ?? [`src/cli/${mod.slice(2, -3)}.ts`];
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
