/** The escape sequences the monitor uses (no dependency: plain ANSI/xterm). */
export const ESC = {
  altScreenOn: '\x1b[?1049h',
  altScreenOff: '\x1b[?1049l',
  hideCursor: '\x1b[?25l',
  showCursor: '\x1b[?25h',
  home: '\x1b[H',
  clearLine: '\x1b[2K',
  clearBelow: '\x1b[J',
  reset: '\x1b[0m',
  moveTo: (row: number, col: number) => `\x1b[${row};${col}H`,
};

/** A key the monitor reacts to, decoded from raw stdin bytes. */
export type Key =
  | { name: 'char'; text: string }
  | { name: 'enter' | 'backspace' | 'escape' | 'ctrl-c' | 'ctrl-d' | 'ctrl-l' | 'ctrl-u' | 'up' | 'down' | 'pageup' | 'pagedown' | 'home' | 'end' };

const SEQUENCES: Record<string, Key['name']> = {
  '\x1b[A': 'up',
  '\x1b[B': 'down',
  '\x1b[5~': 'pageup',
  '\x1b[6~': 'pagedown',
  '\x1b[H': 'home',
  '\x1b[F': 'end',
  '\x1b[1~': 'home',
  '\x1b[4~': 'end',
};

/** Splits one chunk of raw input into keys (a paste arrives as one chunk of many characters). */
export function decodeKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < chunk.length) {
    const ch = chunk[i]!;
    if (ch === '\x1b') {
      const seq = Object.keys(SEQUENCES).find((s) => chunk.startsWith(s, i));
      if (seq) {
        keys.push({ name: SEQUENCES[seq]! } as Key);
        i += seq.length;
        continue;
      }
      // An unknown CSI sequence is skipped whole, a lone ESC is the escape key.
      // eslint-disable-next-line no-control-regex
      const csi = /^\x1b\[[0-9;?]*[ -/]*[@-~]/.exec(chunk.slice(i));
      if (csi) {
        i += csi[0].length;
        continue;
      }
      keys.push({ name: 'escape' });
      i++;
      continue;
    }
    i++;
    if (ch === '\r' || ch === '\n') keys.push({ name: 'enter' });
    else if (ch === '\x7f' || ch === '\b') keys.push({ name: 'backspace' });
    else if (ch === '\x03') keys.push({ name: 'ctrl-c' });
    else if (ch === '\x04') keys.push({ name: 'ctrl-d' });
    else if (ch === '\x0c') keys.push({ name: 'ctrl-l' });
    else if (ch === '\x15') keys.push({ name: 'ctrl-u' });
    else if (ch >= ' ') {
      const last = keys[keys.length - 1];
      if (last && last.name === 'char') last.text += ch;
      else keys.push({ name: 'char', text: ch });
    }
  }
  return keys;
}

/**
 * Takes over a TTY: alternate screen, hidden cursor, raw input. `restore`
 * undoes all of it and is safe to call more than once, so every way out
 * (q, Ctrl-C, SIGTERM, a crash) can call it.
 */
export function takeTerminal(input: NodeJS.ReadStream, output: NodeJS.WriteStream): { restore: () => void } {
  output.write(ESC.altScreenOn + ESC.hideCursor + ESC.home + ESC.clearBelow);
  if (input.isTTY) input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      try {
        if (input.isTTY) input.setRawMode(false);
      } catch {}
      input.pause();
      output.write(ESC.reset + ESC.showCursor + ESC.altScreenOff);
    },
  };
}

/** Draws a frame: every line in place (no full clear, so no flicker), the cursor left at the prompt. */
export function drawFrame(output: NodeJS.WriteStream, lines: string[], promptColumn: number): void {
  let frame = ESC.hideCursor;
  lines.forEach((line, i) => {
    frame += ESC.moveTo(i + 1, 1) + ESC.clearLine + line;
  });
  frame += ESC.clearBelow + ESC.moveTo(lines.length, promptColumn) + ESC.showCursor;
  output.write(frame);
}
