/**
 * Parser for tmux control mode (`tmux -C`) output. Output of commands sent on
 * stdin comes in `%begin … %end|%error` blocks; notifications are single
 * lines starting with `%` and never occur inside a block (tmux(1), CONTROL MODE).
 */

/** The notifications corral acts on; anything else is `other`. */
export type ControlNotification =
  | { kind: 'session-changed'; sessionId: string; name: string }
  | { kind: 'session-renamed'; name: string }
  | { kind: 'sessions-changed' }
  | { kind: 'window-add'; windowId: string; linked: boolean }
  | { kind: 'window-close'; windowId: string; linked: boolean }
  | { kind: 'window-renamed'; windowId: string; name: string; linked: boolean }
  | { kind: 'session-window-changed'; sessionId: string; windowId: string }
  | { kind: 'exit'; reason: string | null }
  | { kind: 'other'; name: string; args: string };

/** One finished command block: its number, whether it failed, and its output lines. */
export interface ControlReply {
  command: number;
  error: boolean;
  lines: string[];
}

/** Parses one notification line (without the newline). */
export function parseNotification(line: string): ControlNotification {
  const space = line.indexOf(' ');
  const name = (space < 0 ? line : line.slice(0, space)).slice(1);
  const args = space < 0 ? '' : line.slice(space + 1);
  const words = args.split(' ');
  // Names may hold spaces: they are everything after the fixed fields.
  const rest = (n: number) => words.slice(n).join(' ');
  switch (name) {
    case 'session-changed':
      return { kind: 'session-changed', sessionId: words[0] ?? '', name: rest(1) };
    case 'session-renamed':
      return { kind: 'session-renamed', name: args };
    case 'sessions-changed':
      return { kind: 'sessions-changed' };
    case 'window-add':
    case 'unlinked-window-add':
      return { kind: 'window-add', windowId: words[0] ?? '', linked: name === 'window-add' };
    case 'window-close':
    case 'unlinked-window-close':
      return { kind: 'window-close', windowId: words[0] ?? '', linked: name === 'window-close' };
    case 'window-renamed':
    case 'unlinked-window-renamed':
      return { kind: 'window-renamed', windowId: words[0] ?? '', name: rest(1), linked: name === 'window-renamed' };
    case 'session-window-changed':
      return { kind: 'session-window-changed', sessionId: words[0] ?? '', windowId: words[1] ?? '' };
    case 'exit':
      return { kind: 'exit', reason: args === '' ? null : args };
    default:
      return { kind: 'other', name, args };
  }
}

/**
 * Incremental line parser: feed it stdout chunks, get notifications and
 * command replies through the callbacks, in order.
 */
export function createControlParser(handlers: {
  notification(n: ControlNotification): void;
  reply?(r: ControlReply): void;
}): (chunk: string) => void {
  let buffer = '';
  let block: ControlReply | null = null;
  return (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (block) {
        // Only a matching %end/%error closes the block; output lines may themselves start with %.
        const m = /^%(end|error) \d+ (\d+)/.exec(line);
        if (m && Number(m[2]) === block.command) {
          block.error = m[1] === 'error';
          handlers.reply?.(block);
          block = null;
        } else {
          block.lines.push(line);
        }
        continue;
      }
      const begin = /^%begin \d+ (\d+)/.exec(line);
      if (begin) {
        block = { command: Number(begin[1]), error: false, lines: [] };
        continue;
      }
      if (line.startsWith('%')) handlers.notification(parseNotification(line));
    }
  };
}
