import type { Daemon } from '../daemon/daemon.js';
import { statePaths } from '../daemon/paths.js';
import type { CorralEvent } from '../schema/events.js';
import { useColor } from './args.js';
import { fitLine, followComponentOutput } from './fg-logs.js';
import { paint, plural, renderComponents } from './format.js';

export interface LiveStatusOptions {
  /** The components' output below the table (`--no-logs`: false). */
  logs: boolean;
  out?: NodeJS.WriteStream;
}

/** What the view knows beyond the component list: the last invalid config, if it still stands. */
interface ViewState {
  configError: string | null;
  stopped: boolean;
}

/**
 * `config invalid (2 errors; running config unchanged) — corral validate` from
 * an error.CFG001 event: short enough for an 80-column terminal; `corral
 * validate` lists each error with its file and line.
 */
export function describeConfigError(e: CorralEvent): string {
  const p = (e.payload ?? {}) as { context?: { errors?: unknown } };
  const errors = Array.isArray(p.context?.errors) ? p.context.errors.length : 0;
  return `config invalid (${errors > 0 ? `${plural(errors, 'error')}; ` : ''}running config unchanged) — corral validate`;
}

/** The lines of the table block: the components, the config error if any, the footer. */
function tableLines(daemon: Daemon, state: ViewState, color: boolean, width?: number): string[] {
  const lines = renderComponents(daemon.controller.list(), color, width).replace(/\n$/, '').split('\n');
  if (state.configError) lines.push(paint(state.configError, 'red', color));
  const bus = `bus ws://${daemon.info.host}:${daemon.info.port}${daemon.config.bus.path}`;
  lines.push(paint(state.stopped ? `${bus} · stopped` : `${bus} · Ctrl-C stops everything`, 'gray', color));
  return lines;
}

/**
 * The live view of a foreground `corral up`. On a terminal: the component
 * table on top, redrawn every second and on every component event, with a
 * line under it while the config on disk is invalid (CFG001, cleared by the
 * next valid reload); below it, unless `logs` is off, the components' output
 * scrolling in a region of its own. Elsewhere: one line per
 * component/config/alert/error event, and the output lines. The function it
 * returns ends the view after drawing the final state once more.
 */
export function showLiveStatus(daemon: Daemon, opts: LiveStatusOptions = { logs: true }): () => void {
  const out = opts.out ?? process.stdout;
  const color = useColor(out);
  const state: ViewState = { configError: null, stopped: false };
  const offConfig = daemon.bus.subscribe({ event_type: 'error.CFG001,config.changed' }, ({ event }) => {
    state.configError = event.event_type === 'config.changed' ? null : describeConfigError(event);
  });
  const screen = out.isTTY ? (opts.logs ? regionScreen(out) : inPlaceScreen(out)) : plainScreen(out, daemon);
  const logs = opts.logs
    ? followComponentOutput({ dir: statePaths(daemon.stateDir).logs, names: () => daemon.controller.list().map((c) => c.name), color, onLine: (text) => screen.log(text) })
    : null;
  // Lines are cut to the width less one (the last column would wrap on some terminals).
  const draw = () => screen.table(tableLines(daemon, state, color, out.isTTY ? (out.columns || 80) - 1 : undefined));
  let scheduled: NodeJS.Timeout | null = null;
  const schedule = () => {
    scheduled ??= setTimeout(() => {
      scheduled = null;
      draw();
    }, 100).unref();
  };
  const off = out.isTTY ? daemon.bus.subscribe({ event_type: 'component.*,resource.alert,config.changed,error.CFG001' }, schedule) : () => {};
  const timer = out.isTTY ? setInterval(draw, 1000) : null;
  timer?.unref();
  const onResize = () => screen.resize?.() ?? draw();
  out.on('resize', onResize);
  draw();
  return () => {
    off();
    offConfig();
    logs?.close();
    if (timer) clearInterval(timer);
    if (scheduled) clearTimeout(scheduled);
    out.off('resize', onResize);
    // The final state (every component stopped, disabled ones still disabled), not the last frame drawn while stopping.
    state.stopped = true;
    draw();
    screen.end();
  };
}

/** Where the view draws: the table block, a line of output, and its end. */
interface Screen {
  table(lines: string[]): void;
  log(line: string): void;
  resize?(): void;
  end(): void;
}

/**
 * A terminal without output below: the table redrawn in place. Every line is
 * cut to the width, so none wraps and the move up covers the whole last frame
 * (a wrapped line left a stale header above the table).
 */
function inPlaceScreen(out: NodeJS.WriteStream): Screen {
  let lastLines = 0;
  return {
    table(lines) {
      const text = lines.map((l) => `${fitLine(l, (out.columns || 80) - 1)}\n`).join('');
      // From column 0 first: the terminal's `^C` echo (or a stray keystroke) left the cursor past it,
      // and moving up keeps the column (the header then read `NANAME`).
      const up = lastLines > 0 ? `\x1b[${lastLines}A` : '';
      out.write(`\r${up}\x1b[0J${text}`);
      lastLines = lines.length;
    },
    log() {},
    end() {},
  };
}

/**
 * A terminal with output below the table: the table in the top lines (drawn
 * at fixed rows, cursor saved and restored), the output in a scrolling region
 * (DECSTBM) from the line under the table to the bottom. The region follows
 * the table's height and the terminal's size; at the end it is reset and the
 * cursor left at the bottom, so the shell continues below everything.
 */
function regionScreen(out: NodeJS.WriteStream): Screen {
  let height = 0;
  let last: string[] = [];
  let pending: string[] = [];
  let flushing = false;
  const rows = () => Math.max(out.rows || 24, 6);
  const cols = () => out.columns || 80;
  // Scroll what was on the screen away (it stays in the scrollback), then start at the top.
  out.write(`${'\n'.repeat(rows())}\x1b[H`);
  const setRegion = (h: number) => {
    height = h;
    // DECSTBM homes the cursor: put it back at the bottom of the region, where output is written.
    out.write(`\x1b[${h + 1};${rows()}r\x1b[${rows()};1H`);
  };
  const table = (lines: string[]) => {
    last = lines;
    const room = rows() - 3;
    const shown = lines.length > room ? [...lines.slice(0, room - 1), `… ${lines.length - room + 1} more lines`] : lines;
    const h = shown.length + 1;
    let text = '\x1b7';
    // Lines that were the table and are now in the output region are cleared.
    for (let i = h; i < height; i++) text += `\x1b[${i + 1};1H\x1b[2K`;
    shown.forEach((l, i) => (text += `\x1b[${i + 1};1H\x1b[2K${fitLine(l, cols() - 1)}`));
    text += `\x1b[${h};1H\x1b[2K${'─'.repeat(Math.max(0, cols() - 1))}\x1b8`;
    out.write(text);
    if (h !== height) setRegion(h);
  };
  return {
    table,
    log(line) {
      pending.push(line);
      if (flushing) return;
      flushing = true;
      setImmediate(() => {
        flushing = false;
        const lines = pending;
        pending = [];
        // At the region's bottom line a newline scrolls the region alone; a long line wraps inside it.
        out.write(lines.map((l) => `\x1b[${rows()};1H\n${l}`).join(''));
      });
    },
    resize() {
      height = 0;
      out.write('\x1b[r\x1b[2J');
      table(last);
    },
    end() {
      if (pending.length > 0) out.write(pending.map((l) => `\x1b[${rows()};1H\n${l}`).join(''));
      pending = [];
      out.write(`\x1b[r\x1b[${rows()};1H\n`);
    },
  };
}

/** Not a terminal: one line per component, config, alert or error event, and the output lines as they come. */
function plainScreen(out: NodeJS.WriteStream, daemon: Daemon): Screen {
  const off = daemon.bus.subscribe({ event_type: 'component.*,config.changed,resource.alert,error.*,tmux.*' }, (entry) => {
    const e = entry.event;
    const p = e.payload as Record<string, unknown>;
    const detail = Object.entries(p)
      .filter(([k]) => k !== 'component')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    out.write(`${new Date(e.timestamp).toISOString()} ${e.event_type} ${String(p.component ?? '')} ${detail}\n`);
  });
  return {
    table() {},
    log(line) {
      out.write(`${line}\n`);
    },
    end: off,
  };
}
