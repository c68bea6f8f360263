import type { ChildProcess } from 'node:child_process';

/**
 * The one way tests wait. Prefer waiting on the event itself (a bus message,
 * a process exit, a line of output: `withTimeout`, `exitOf`, `TestClient.waitFor`
 * in test/integration/server/helpers.ts); poll with `waitFor` only for state
 * that announces nothing (a file's content, a /proc entry, a component's state).
 * Every timeout names what was awaited, and the last value seen when there is one.
 */

export interface WaitOptions {
  /** How long to wait before failing (default 20 s: well under the test timeout (vitest.config.ts), so the failure names what was awaited). */
  timeoutMs?: number;
  /** Pause between two checks (default 5 ms), and at least as long as the last check took. */
  everyMs?: number;
  /** More to say in the timeout message (the state the test was looking at). */
  detail?: () => unknown;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_EVERY_MS = 5;

const options = (o: number | WaitOptions | undefined): WaitOptions => (typeof o === 'number' ? { timeoutMs: o } : (o ?? {}));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 800 ? `…${value.slice(-800)}` : value);
  try {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 800 ? `${text.slice(0, 800)}…` : text;
  } catch {
    return String(value);
  }
}

function timedOut(what: string, ms: number, last: { seen: boolean; value: unknown }, o: WaitOptions): Error {
  const parts = [`timed out after ${ms} ms waiting for ${what}`];
  if (last.seen && typeof last.value !== 'boolean' && last.value !== undefined) parts.push(`last: ${show(last.value)}`);
  if (o.detail) parts.push(`detail: ${show(o.detail())}`);
  return new Error(parts.join('; '));
}

/**
 * Checks until `check` returns something truthy, and returns it. With `ok`:
 * checks until `ok(value)` holds, and returns that value. The check runs once
 * more at the deadline, so a slow machine gets the full time.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, opts?: number | WaitOptions): Promise<NonNullable<T>>;
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, ok: (value: T) => boolean, opts?: number | WaitOptions): Promise<T>;
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, okOrOpts?: ((value: T) => boolean) | number | WaitOptions, maybeOpts?: number | WaitOptions): Promise<T> {
  const ok = typeof okOrOpts === 'function' ? okOrOpts : (v: T) => Boolean(v);
  const o = options(typeof okOrOpts === 'function' ? maybeOpts : okOrOpts);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const last: { seen: boolean; value: unknown } = { seen: false, value: undefined };
  for (;;) {
    const started = Date.now();
    const expired = started >= deadline;
    const value = await probe();
    last.seen = true;
    last.value = value;
    if (ok(value)) return value;
    if (expired) throw timedOut(what, timeoutMs, last, o);
    // A check that costs (a CLI run, a /proc walk) is paused for as long as it took: polling
    // takes at most half of a core from the processes under test, which matters under load.
    const pause = Math.max(o.everyMs ?? DEFAULT_EVERY_MS, Date.now() - started);
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
  }
}

/** `promise`, or a failure naming `what` when it has not settled within `timeoutMs`. */
export async function withTimeout<T>(what: string, promise: Promise<T>, opts?: number | WaitOptions): Promise<T> {
  const o = options(opts);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(what, timeoutMs, { seen: false, value: undefined }, o)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when `child` has exited (at once when it already has), with its code and signal. */
export function exitOf(child: ChildProcess, opts?: number | WaitOptions): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return withTimeout(`process ${child.pid ?? '(not started)'} (${child.spawnfile}) to exit`, exited, opts);
}
