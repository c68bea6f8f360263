import type { PublishResult } from '../../bus/types.js';
import type { Logger } from '../types.js';
import { startControlClient, type ControlClient, type ControlNotification } from './control.js';
import { defaultTmuxSocket, hasTmuxSession, isTmuxSessionGone, listTmuxSessions, listTmuxWindows, type TmuxWindow } from './tmux-command.js';
import type { OwnEvent } from '../../schema/payloads.js';

/** Hands one of corral's own tmux events up to the bus (publishOwnEvent in src/bus/own-events.ts). */
type Publish = (event: OwnEvent) => PublishResult | void;

export interface TmuxWatchOptions {
  socket?: string;
  session: string;
  publish: Publish;
  logger?: Logger;
}

/** A handle on a shared session watch: mark a window as a component's, and release it. */
export interface TmuxWatchHandle {
  /** Events about this window carry `payload.component`. */
  own(windowId: string, component: string): void;
  release(): void;
}

interface Watch {
  socket: string;
  session: string;
  holders: Array<{ publish: Publish; logger?: Logger }>;
  owners: Map<string, string>;
  windows: Map<string, TmuxWindow>;
  sessions: Set<string>;
  client: ControlClient | null;
  /** Notifications are handled one at a time, in order, since each may query tmux. */
  queue: Promise<void>;
  retry: NodeJS.Timeout | null;
}

const watches = new Map<string, Watch>();

/**
 * Watches a tmux session through one control-mode client per session (shared
 * by every component in it, reference-counted) and publishes what tmux
 * reports: `tmux.window.changed` (added, closed, renamed, selected) for
 * windows in the session — including ones a user opens, closes or renames by
 * hand — and `tmux.session.created` for any session created on the server
 * while it watches (windows of sessions nobody watches are not reported). When the session ends the watch reattaches once it exists again.
 */
export function acquireTmuxWatch(opts: TmuxWatchOptions): TmuxWatchHandle {
  const socket = opts.socket ?? defaultTmuxSocket();
  const key = `${socket}\0${opts.session}`;
  let watch = watches.get(key);
  const holder = { publish: opts.publish, logger: opts.logger };
  if (!watch) {
    watch = { socket, session: opts.session, holders: [], owners: new Map(), windows: new Map(), sessions: new Set(), client: null, queue: Promise.resolve(), retry: null };
    watches.set(key, watch);
    watch.holders.push(holder);
    connect(watch);
  } else {
    watch.holders.push(holder);
  }
  const w = watch;
  let released = false;
  return {
    own(windowId, component) {
      w.owners.set(windowId, component);
    },
    release() {
      if (released) return;
      released = true;
      w.holders.splice(w.holders.indexOf(holder), 1);
      if (w.holders.length > 0) return;
      watches.delete(key);
      if (w.retry) clearTimeout(w.retry);
      w.client?.close();
      w.client = null;
    },
  };
}

/** Resolves once every notification received so far has been handled (for tests and shutdown). */
export async function settleTmuxWatches(): Promise<void> {
  await Promise.all([...watches.values()].map((w) => w.queue));
}

function connect(w: Watch): void {
  if (watches.get(`${w.socket}\0${w.session}`) !== w) return;
  w.retry = null;
  void (async () => {
    if (!(await hasTmuxSession(w.socket, w.session))) return scheduleRetry(w);
    if (w.holders.length === 0) return;
    // Snapshot first, so a later close or rename can name the window.
    const baseline = await listTmuxWindows(w.socket);
    // Windows known from before a reconnect that are not there any more closed while no client
    // listened (a session ended and was made again under its name): report them closed.
    const now = new Set(baseline.map((x) => x.id));
    for (const [id, win] of w.windows) {
      if (win.session !== w.session || now.has(id)) continue;
      w.windows.delete(id);
      emitWindow(w, win, 'closed');
      w.owners.delete(id);
    }
    for (const win of baseline) w.windows.set(win.id, win);
    for (const s of await listTmuxSessions(w.socket)) w.sessions.add(s.id);
    // Released (or replaced) while tmux was answering: starting a client now would leak it.
    if (watches.get(`${w.socket}\0${w.session}`) !== w || w.holders.length === 0) return;
    const enqueue = (job: () => Promise<void>): void => {
      w.queue = w.queue.then(job).catch((err: unknown) => log(w, `tmux watch: ${(err as Error).message}`));
    };
    const client = startControlClient({
      socket: w.socket,
      session: w.session,
      onNotification: (n) => enqueue(() => handle(w, n)),
      // Windows opened or closed between the snapshot and the attach sent no notification to this client.
      onReady: () => enqueue(() => reconcile(w, new Set(baseline.filter((x) => x.session === w.session).map((x) => x.id)))),
    });
    w.client = client;
    const { reason } = await client.closed;
    if (w.client !== client) return; // released
    w.client = null;
    // The session ended (its last window closed, or kill-session): tmux sends no %window-close
    // for those windows to this client, so report them closed here.
    await w.queue;
    if (await isTmuxSessionGone(w.socket, w.session)) closeSessionWindows(w);
    log(w, `tmux control client for session "${w.session}" ended${reason ? `: ${reason}` : ''}`);
    scheduleRetry(w);
  })().catch((err: unknown) => {
    log(w, `tmux watch failed: ${(err as Error).message}`);
    scheduleRetry(w);
  });
}

function scheduleRetry(w: Watch): void {
  if (w.holders.length === 0 || watches.get(`${w.socket}\0${w.session}`) !== w) return;
  w.retry = setTimeout(() => connect(w), 500);
  w.retry.unref();
}

function log(w: Watch, msg: string): void {
  w.holders[0]?.logger?.warn(msg);
}

async function handle(w: Watch, n: ControlNotification): Promise<void> {
  switch (n.kind) {
    case 'window-add': {
      await refreshWindows(w);
      const win = w.windows.get(n.windowId);
      if (win) emitWindow(w, win, 'added');
      return;
    }
    case 'window-close': {
      const win = w.windows.get(n.windowId);
      w.windows.delete(n.windowId);
      if (win) emitWindow(w, win, 'closed');
      w.owners.delete(n.windowId);
      return;
    }
    case 'window-renamed': {
      const win = w.windows.get(n.windowId);
      if (!win) await refreshWindows(w);
      const current = w.windows.get(n.windowId);
      if (!current) return;
      current.name = n.name;
      emitWindow(w, current, 'renamed');
      return;
    }
    case 'session-window-changed': {
      const unknown = !w.windows.has(n.windowId);
      if (unknown) await refreshWindows(w);
      const win = w.windows.get(n.windowId);
      if (!win) return;
      // `new-window` without -d selects the window before tmux sends %window-add: report a window
      // first seen here added first (once: the window-add that follows finds it announced).
      if (unknown) emitWindow(w, win, 'added');
      emitWindow(w, win, 'selected');
      return;
    }
    case 'sessions-changed': {
      const now = await listTmuxSessions(w.socket);
      await refreshWindows(w);
      for (const s of now) {
        if (w.sessions.has(s.id)) continue;
        const first = [...w.windows.values()].filter((x) => x.session === s.name).sort((a, b) => a.index - b.index)[0];
        announceSessionCreated({ socket: w.socket, sessionId: s.id, session: s.name, window: first, publish: (e) => publish(w, e) });
      }
      w.sessions = new Set(now.map((s) => s.id));
      return;
    }
    default:
      return;
  }
}

/** Reports what changed in the session while the control client was attaching (against the snapshot taken before it). */
async function reconcile(w: Watch, before: Set<string>): Promise<void> {
  const now = await listTmuxWindows(w.socket);
  const present = new Set<string>();
  for (const win of now) {
    w.windows.set(win.id, win);
    if (win.session !== w.session) continue;
    present.add(win.id);
    if (!before.has(win.id)) emitWindow(w, win, 'added');
  }
  for (const id of before) {
    if (present.has(id)) continue;
    const win = w.windows.get(id);
    w.windows.delete(id);
    if (win) emitWindow(w, win, 'closed');
    w.owners.delete(id);
  }
}

function closeSessionWindows(w: Watch): void {
  for (const [id, win] of w.windows) {
    if (win.session !== w.session) continue;
    w.windows.delete(id);
    emitWindow(w, win, 'closed');
    w.owners.delete(id);
  }
}

async function refreshWindows(w: Watch): Promise<void> {
  const list = await listTmuxWindows(w.socket);
  // Keep closed windows' last known names until their close notification arrives.
  for (const win of list) w.windows.set(win.id, win);
}

function emitWindow(w: Watch, win: TmuxWindow, change: 'added' | 'closed' | 'renamed' | 'selected'): void {
  // Each session's own watch reports its windows; other sessions' windows arrive here as unlinked-window noise.
  if (win.session !== w.session) return;
  // The opener's word, else the mark corral put on the window when it opened it.
  const component = w.owners.get(win.id) ?? win.component;
  if (change === 'added') {
    announceWindowAdded({ socket: w.socket, window: win, component, publish: (e) => publish(w, e) });
    return;
  }
  publish(w, {
    event_type: 'tmux.window.changed',
    payload: { session: win.session, window: { index: win.index, name: win.name, id: win.id }, change, ...(component ? { component } : {}) },
  });
}

const announcedWindows = new Set<string>();

/**
 * Publishes a window's `added` once: the runner reports the windows it opens
 * (a control client attaching to a brand-new session misses the ones opened
 * before it was there), the watch reports the rest; tmux's window id (never
 * reused while the server runs) keeps it to one event.
 */
export function announceWindowAdded(o: { socket: string; window: TmuxWindow; component: string | undefined; publish: Publish }): boolean {
  const key = `${o.socket}\0${o.window.id}`;
  if (announcedWindows.has(key)) return false;
  announcedWindows.add(key);
  o.publish({
    event_type: 'tmux.window.changed',
    payload: {
      session: o.window.session,
      window: { index: o.window.index, name: o.window.name, id: o.window.id },
      change: 'added',
      ...(o.component ? { component: o.component } : {}),
    },
  });
  return true;
}

const announced = new Set<string>();

/**
 * Publishes `tmux.session.created` once per session: both the runner (which
 * created it) and a watch on another session of the same server (which sees
 * `%sessions-changed`) report it, so tmux's session id (never reused while
 * the server runs) keeps it to one event. Returns false when already announced.
 */
export function announceSessionCreated(o: {
  socket: string;
  sessionId: string;
  session: string;
  window: Pick<TmuxWindow, 'id' | 'index' | 'name'> | undefined;
  publish: Publish;
}): boolean {
  const key = `${o.socket}\0${o.sessionId}`;
  if (o.sessionId && announced.has(key)) return false;
  if (o.sessionId) announced.add(key);
  o.publish({
    event_type: 'tmux.session.created',
    payload: {
      session: o.session,
      window: o.window ? { index: o.window.index, name: o.window.name, id: o.window.id } : null,
      change: 'added',
    },
  });
  return true;
}

function publish(w: Pick<Watch, 'holders'>, event: OwnEvent): void {
  const holder = w.holders[0];
  if (!holder) return;
  try {
    holder.publish(event);
  } catch (err) {
    holder.logger?.error(`publishing ${event.event_type} failed: ${(err as Error).message}`);
  }
}
