/**
 * Splits a command line into argv the way a POSIX shell would quote it, but
 * without a shell: no expansion, no pipes, no globbing. Single quotes are
 * literal, double quotes allow `\"`, `\\`, `\$` and `` \` `` escapes, and a
 * backslash outside quotes escapes the next character.
 * Throws on an unterminated quote or an empty command, naming the command.
 */
export function splitCommand(command: string): string[] {
  const args: string[] = [];
  let current = '';
  // Tracks whether a word was started, so `''` yields an empty argument.
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else current += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) current += command[++i];
      else current += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 < command.length) current += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`command has an unterminated ${quote} quote: ${command}`);
  if (inWord) args.push(current);
  if (args.length === 0) throw new Error('command is empty');
  return args;
}
