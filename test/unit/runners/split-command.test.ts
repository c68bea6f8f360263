import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../../src/runners/process/split-command.js';

describe('splitCommand', () => {
  it('splits on whitespace', () => {
    expect(splitCommand('  node   server.js --port 3000 ')).toEqual(['node', 'server.js', '--port', '3000']);
  });
  it('keeps quoted text together', () => {
    expect(splitCommand(`node -e "console.log('a b')"`)).toEqual(['node', '-e', "console.log('a b')"]);
    expect(splitCommand(`echo 'it "is" $HOME'`)).toEqual(['echo', 'it "is" $HOME']);
  });
  it('handles escapes and empty quoted arguments', () => {
    expect(splitCommand(String.raw`a\ b "x\"y" '' c`)).toEqual(['a b', 'x"y', '', 'c']);
    expect(splitCommand(String.raw`"a\nb"`)).toEqual([String.raw`a\nb`]);
    expect(splitCommand(`pre"mid dle"post`)).toEqual(['premid dlepost']);
  });
  it('rejects unterminated quotes and empty commands', () => {
    expect(() => splitCommand(`node -e "oops`)).toThrow(/unterminated " quote/);
    expect(() => splitCommand('   ')).toThrow(/empty/);
  });
});
