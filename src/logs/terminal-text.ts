// Escape sequences a program writes to a terminal (a pty component's output is full of them).
// Matching control characters is the point of these patterns.
/* eslint-disable no-control-regex */
const OSC = /\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g; // window titles, hyperlinks
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g; // cursor movement, erasing, colours (final byte m)
const OTHER_ESC = /\x1b[()][0-9A-Za-z]|\x1b[@-Z\\-_=>78]/g; // charset selection, keypad modes, save/restore
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g; // what is left: BEL, backspace, lone ESC... (tab kept)
const HAS_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/; // ESC included: plain text is returned as it is
/* eslint-enable no-control-regex */

/**
 * One logged line as a terminal would leave it, in plain text: titles, cursor
 * movement and erasing removed; after a carriage return only what was
 * written over the line (a progress bar's last state; a pty ends every line
 * with \r); colours kept only when this output is coloured.
 */
export function terminalText(text: string, keepColor: boolean): string {
  let s = text.endsWith('\r') ? text.slice(0, -1) : text;
  const cr = s.lastIndexOf('\r');
  if (cr !== -1) s = s.slice(cr + 1);
  if (!HAS_CONTROL.test(s)) return s;
  return s
    .replace(OSC, '')
    .replace(CSI, (seq) => (keepColor && seq.endsWith('m') ? seq : ''))
    .replace(OTHER_ESC, '')
    .replace(CONTROL, (c) => (keepColor && c === '\x1b' ? c : ''));
}
