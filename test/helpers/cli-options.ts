import { readFileSync } from 'node:fs';

// What a CLI module's parser accepts, read from its source: the spec literals of
// each parseArgs call (src/cli/args.ts) in the command's module. Shared by
// test/unit/cli/help-options.test.ts and test/unit/cli/completion-options.test.ts.

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
export function accepted(files: string[]): { long: Set<string>; alias: Map<string, string> } {
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

/** The source files of a command module named as in src/cli/main.ts's COMMANDS (`./logs.js`). */
export function sourcesOf(mod: string): string[] {
  return mod === './hook.js' ? ['src/cli/hook.ts', 'src/cli/hook-settings.ts'] : [`src/cli/${mod.slice(2, -3)}.ts`];
}
