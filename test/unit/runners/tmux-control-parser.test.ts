import { describe, expect, it } from 'vitest';
import { createControlParser, parseNotification, type ControlNotification, type ControlReply } from '../../../src/runners/tmux/control-parser.js';

describe('tmux control-mode parser', () => {
  it('parses the notifications corral acts on', () => {
    expect(parseNotification('%session-changed $1 my session')).toEqual({ kind: 'session-changed', sessionId: '$1', name: 'my session' });
    expect(parseNotification('%sessions-changed')).toEqual({ kind: 'sessions-changed' });
    expect(parseNotification('%window-add @3')).toEqual({ kind: 'window-add', windowId: '@3', linked: true });
    expect(parseNotification('%unlinked-window-add @4')).toEqual({ kind: 'window-add', windowId: '@4', linked: false });
    expect(parseNotification('%window-close @3')).toEqual({ kind: 'window-close', windowId: '@3', linked: true });
    expect(parseNotification('%unlinked-window-close @4')).toEqual({ kind: 'window-close', windowId: '@4', linked: false });
    expect(parseNotification('%window-renamed @3 dev server')).toEqual({ kind: 'window-renamed', windowId: '@3', name: 'dev server', linked: true });
    expect(parseNotification('%session-window-changed $1 @3')).toEqual({ kind: 'session-window-changed', sessionId: '$1', windowId: '@3' });
    expect(parseNotification('%exit')).toEqual({ kind: 'exit', reason: null });
    expect(parseNotification('%exit server exited')).toEqual({ kind: 'exit', reason: 'server exited' });
    expect(parseNotification('%layout-change @1 abc')).toEqual({ kind: 'other', name: 'layout-change', args: '@1 abc' });
  });

  it('keeps command output blocks apart from notifications, across chunk boundaries', () => {
    const notes: ControlNotification[] = [];
    const replies: ControlReply[] = [];
    const feed = createControlParser({ notification: (n) => notes.push(n), reply: (r) => replies.push(r) });
    const stream = '%begin 1 7 1\n%window-add @9\nplain line\n%end 1 7 1\n%window-add @2\r\n%begin 1 8 0\nno such window\n%error 1 8 0\n%sessions-changed\n';
    for (let i = 0; i < stream.length; i += 5) feed(stream.slice(i, i + 5));
    // A line inside a block that looks like a notification is output, not a notification.
    expect(replies).toEqual([
      { command: 7, error: false, lines: ['%window-add @9', 'plain line'] },
      { command: 8, error: true, lines: ['no such window'] },
    ]);
    expect(notes).toEqual([{ kind: 'window-add', windowId: '@2', linked: true }, { kind: 'sessions-changed' }]);
  });
});
