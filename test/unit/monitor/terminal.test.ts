import { describe, expect, it } from 'vitest';
import { decodeKeys } from '../../../src/monitor/terminal.js';

describe('decodeKeys', () => {
  it('groups typed text and decodes control keys and escape sequences', () => {
    expect(decodeKeys('type x\r')).toEqual([{ name: 'char', text: 'type x' }, { name: 'enter' }]);
    expect(decodeKeys('\x03')).toEqual([{ name: 'ctrl-c' }]);
    expect(decodeKeys('ab\x7f')).toEqual([{ name: 'char', text: 'ab' }, { name: 'backspace' }]);
    expect(decodeKeys('\x1b[A\x1b[B\x1b[5~\x1b[6~')).toEqual([{ name: 'up' }, { name: 'down' }, { name: 'pageup' }, { name: 'pagedown' }]);
  });

  it('skips unknown sequences and treats a lone ESC as escape', () => {
    expect(decodeKeys('\x1b[1;5Cz')).toEqual([{ name: 'char', text: 'z' }]);
    expect(decodeKeys('\x1b')).toEqual([{ name: 'escape' }]);
  });
});
