import type { MonitorTarget } from './target.js';
import type { CorralEvent } from '../schema/events.js';
import type { EventFilter } from '../schema/messages.js';
import { parsePromptLine, PROMPT_HELP, describeFilter } from './filter-command.js';
import { fetchComponents } from './fetch.js';
import { addEvents, applyComponents, createMonitorState, type MonitorState } from './model.js';
import { renderScreen } from './render.js';
import { decodeKeys, drawFrame, takeTerminal, type Key } from './terminal.js';

/** The live event stream the monitor reads: the corral client, behind a small seam. */
export interface LiveFeed {
  subscribe(filter: EventFilter): void;
  close(): void;
}

/** What the live feed tells the monitor. */
export interface LiveHandlers {
  /** Events as they arrive; `replay` when they are history (after connecting or changing the filter). */
  onEvents(events: CorralEvent[], replay: boolean): void;
  onConnection(connected: boolean, detail?: string): void;
  onError(message: string): void;
}

export type ConnectLive = (target: MonitorTarget, filter: EventFilter, handlers: LiveHandlers) => Promise<LiveFeed>;

export interface InteractiveOptions {
  target: MonitorTarget;
  filter: EventFilter;
  connect: ConnectLive;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
  color: boolean;
  /** Component table refresh period (ms). */
  pollMs?: number;
  /** Minimum time between two frames (ms): ~10 frames a second. */
  frameMs?: number;
}

/** Frames of the monitor: `draw` now, or `requestDraw`, which coalesces bursts into one frame per `frameMs`. */
interface Painter {
  draw(): void;
  requestDraw(): void;
  /** Drops a frame still waiting. */
  cancel(): void;
}

function createPainter(state: MonitorState, output: NodeJS.WriteStream, color: boolean, frameMs: number): Painter {
  let lastFrame = 0;
  let frameTimer: NodeJS.Timeout | null = null;
  const draw = () => {
    frameTimer = null;
    lastFrame = Date.now();
    const cols = output.columns || 80;
    const rows = output.rows || 24;
    drawFrame(output, renderScreen(state, cols, rows, color), Math.min(cols, 3 + state.input.length));
  };
  // Bursts of events coalesce into one frame per `frameMs`.
  const requestDraw = () => {
    if (frameTimer) return;
    frameTimer = setTimeout(draw, Math.max(0, lastFrame + frameMs - Date.now()));
  };
  const cancel = () => {
    if (frameTimer) clearTimeout(frameTimer);
  };
  return { draw, requestDraw, cancel };
}

/** Polls the component table into `state`; returns one poll (the timer runs every `pollMs`) and the timer. */
function startPolling(state: MonitorState, target: MonitorTarget, pollMs: number, requestDraw: () => void): { poll: () => Promise<void>; timer: NodeJS.Timeout } {
  // A poll failure stays on the status line until a poll succeeds again (the daemon came back).
  let pollError: string | null = null;
  const poll = async () => {
    try {
      applyComponents(state, await fetchComponents(target));
      if (pollError !== null && state.status === pollError) state.status = PROMPT_HELP;
      pollError = null;
    } catch (err) {
      pollError = `error: ${(err as Error).message}`;
      state.status = pollError;
    }
    requestDraw();
  };
  return { poll, timer: setInterval(() => void poll(), pollMs) };
}

/** What a key asks of the monitor beyond changing `state`. */
type KeyOutcome = { kind: 'redraw' } | { kind: 'quit' } | { kind: 'filter'; filter: EventFilter };

/** Applies one key to the prompt and the scroll position; `pageRows` is how far a page key scrolls. */
function applyKey(state: MonitorState, key: Key, pageRows: number): KeyOutcome {
  switch (key.name) {
    case 'char':
      state.input += key.text;
      break;
    case 'backspace':
      state.input = state.input.slice(0, -1);
      break;
    case 'ctrl-u':
    case 'escape':
      state.input = '';
      break;
    case 'ctrl-c':
    case 'ctrl-d':
      return { kind: 'quit' };
    case 'up':
      state.scroll++;
      break;
    case 'down':
      state.scroll = Math.max(0, state.scroll - 1);
      break;
    case 'pageup':
      state.scroll += pageRows;
      break;
    case 'pagedown':
      state.scroll = Math.max(0, state.scroll - pageRows);
      break;
    case 'home':
      state.scroll = state.events.length;
      break;
    case 'end':
      state.scroll = 0;
      break;
    case 'ctrl-l':
      break;
    case 'enter': {
      const line = state.input;
      state.input = '';
      const cmd = parsePromptLine(line, state.filter);
      if (cmd.kind === 'quit') return { kind: 'quit' };
      if (cmd.kind === 'help') state.status = PROMPT_HELP;
      else if (cmd.kind === 'error') state.status = `error: ${cmd.message}`;
      else if (cmd.kind === 'filter') return { kind: 'filter', filter: cmd.filter };
      break;
    }
  }
  return { kind: 'redraw' };
}

/** The live feed's handlers: they put what it tells into `state` and ask for a frame. */
function liveHandlers(state: MonitorState, requestDraw: () => void): LiveHandlers {
  return {
    onEvents(events, replay) {
      addEvents(state, events);
      // History can be older than what is shown: keep the stream in time order.
      if (replay) state.events.sort((a, b) => a.timestamp - b.timestamp);
      requestDraw();
    },
    onError(message) {
      state.status = `error: ${message}`;
      requestDraw();
    },
    onConnection(connected, detail) {
      state.connected = connected;
      if (detail) state.status = connected ? detail : `error: ${detail}`;
      requestDraw();
    },
  };
}

/**
 * The interactive monitor: takes the terminal, polls the component table,
 * streams events, reads filter commands at the prompt. Resolves with the
 * exit code once the user quits; the terminal is restored on every way out.
 */
export async function runInteractive(opts: InteractiveOptions): Promise<number> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const state: MonitorState = createMonitorState(opts.target.baseUrl, opts.filter);
  state.status = PROMPT_HELP;
  const term = takeTerminal(input, output);
  const { draw, requestDraw, cancel: cancelDraw } = createPainter(state, output, opts.color, opts.frameMs ?? 100);

  let feed: LiveFeed | null = null;
  let quitting = false;
  let resolveFinished!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (resolveFinished = resolve));
  const done = (code: number) => {
    quitting = true;
    resolveFinished(code);
  };

  const { poll, timer: pollTimer } = startPolling(state, opts.target, opts.pollMs ?? 2000, requestDraw);

  const applyFilter = (filter: EventFilter) => {
    state.filter = filter;
    state.scroll = 0;
    state.status = `filter: ${describeFilter(filter)}`;
    // The server answers a subscribe with recent matching events, so older ones the new filter lets through appear too.
    feed?.subscribe(filter);
    requestDraw();
  };

  const onKey = (key: Key) => {
    const outcome = applyKey(state, key, Math.max(1, (output.rows || 24) - 10));
    if (outcome.kind === 'quit') return done(0);
    if (outcome.kind === 'filter') applyFilter(outcome.filter);
    requestDraw();
  };
  const onData = (chunk: string | Buffer) => {
    for (const key of decodeKeys(String(chunk))) onKey(key);
  };
  const onResize = () => draw();
  const onSignal = () => done(0);
  const onCrash = (err: unknown) => {
    term.restore();
    process.stderr.write(`corral monitor: ${(err as Error)?.stack ?? String(err)}\n`);
    done(1);
  };
  input.on('data', onData);
  output.on('resize', onResize);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);

  try {
    draw();
    void poll();
    // Connecting runs beside the prompt, so the user can quit even while the bus does not answer.
    void opts.connect(opts.target, state.filter, liveHandlers(state, requestDraw)).then(
      (f) => {
        if (quitting) f.close();
        else {
          feed = f;
          // A filter typed while connecting applies now.
          f.subscribe(state.filter);
        }
      },
      (err: Error) => {
        state.status = `error: cannot reach the bus: ${err.message}`;
        requestDraw();
      },
    );
    requestDraw();
    return await finished;
  } finally {
    clearInterval(pollTimer);
    cancelDraw();
    input.off('data', onData);
    output.off('resize', onResize);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
    (feed as LiveFeed | null)?.close();
    term.restore();
  }
}
