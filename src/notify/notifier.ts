import { publishOwn } from '../bus/own-events.js';
import type { NotifyPayload } from '../schema/payloads.js';
import type { NotifyRule } from '../config/notify-schema.js';
import type { Bus, BusEntry } from '../bus/types.js';
import type { CorralEvent } from '../schema/events.js';
import type { Logger } from '../plugins/types.js';
import { deliver, destinationOf } from './destinations.js';
import { formatNotification, type AttachHint, type Notification } from './format.js';

/** Deliveries waiting per rule; past it the oldest waiting one is dropped (and counted in the next outcome). */
export const QUEUE_MAX = 100;
/** The first retry waits this long, doubling up to RETRY_MAX_DELAY_MS, until the rule's `retry` is spent. */
export const RETRY_FIRST_DELAY_MS = 500;
export const RETRY_MAX_DELAY_MS = 15_000;

const LEVELS: Record<string, number> = { info: 0, warning: 1, error: 2, critical: 2 };

/** An event's level: a resource alert's `alert_level`, an error's `severity`. */
function levelOf(e: CorralEvent): number | null {
  const p = e.payload as { alert_level?: unknown; severity?: unknown } | null;
  const v = p?.alert_level ?? p?.severity;
  return typeof v === 'string' && v in LEVELS ? LEVELS[v]! : null;
}

interface Job {
  n: Notification;
  test: boolean;
  done?: (r: TestResult) => void;
}

interface RuleState {
  rule: NotifyRule;
  name: string;
  queue: Job[];
  busy: boolean;
  dropped: number;
  throttled: number;
  /** Since when the destination has failed (its failure was reported then, once); null while it works. */
  downSince: number | null;
  failedWhileDown: number;
  off: () => void;
}

/** What `corral notify test` gets back. */
export interface TestResult {
  rule: string;
  destination: string;
  ok: boolean;
  attempts: number;
  error?: string;
}

export interface NotifierOptions {
  bus: Bus;
  rules: NotifyRule[];
  logger?: Logger;
  attach?: AttachHint;
  /** Clock and sleep, for nothing but the real ones in the daemon. */
  now?: () => number;
}

export interface Notifier {
  /** The rules of a reloaded config (throttling and a down destination's state carry over by rule name). */
  apply(rules: NotifyRule[]): void;
  /** Sends a sample through one rule (or each), once, bypassing `every`; resolves with each outcome. */
  test(name?: string): Promise<TestResult[]>;
  ruleNames(): string[];
  dispose(): void;
}

/** Dropped and throttled notifications since the last outcome, said once and reset. */
function counts(s: RuleState): Pick<NotifyPayload, 'dropped' | 'throttled'> {
  const out: Pick<NotifyPayload, 'dropped' | 'throttled'> = {};
  if (s.dropped > 0) out.dropped = s.dropped;
  if (s.throttled > 0) out.throttled = s.throttled;
  s.dropped = 0;
  s.throttled = 0;
  return out;
}

const ruleName = (r: NotifyRule, i: number): string => r.name ?? `rule-${i}`;

/**
 * The `notify:` rules (docs/notify.md). Each rule subscribes to the bus with
 * its `on` filter (the bus's own matcher), checks `level`, throttles per
 * component (`every`), and queues the notification; each rule delivers from
 * its own queue, one at a time, so a slow or dead destination holds up only
 * its own rule and never the bus (listeners only queue). `notify.*` events
 * never reach a rule.
 */
export function createNotifier(opts: NotifierOptions): Notifier {
  const { bus, logger } = opts;
  const now = opts.now ?? Date.now;
  const lastSent = new Map<string, number>();
  let states: RuleState[] = [];
  let disposed = false;
  const timers = new Set<NodeJS.Timeout>();

  const publish = (type: 'notify.sent' | 'notify.failed', payload: NotifyPayload) => {
    const r = publishOwn(bus, type, payload);
    if (!r.ok) logger?.warn(`${type} not published: ${r.error.error_message}`);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function onEvent(s: RuleState, entry: BusEntry): void {
    const e = entry.event;
    if (e.event_type.startsWith('notify.') || disposed) return;
    if (s.rule.level !== undefined) {
      const level = levelOf(e);
      if (level === null || level < LEVELS[s.rule.level]!) return;
    }
    const n = formatNotification(e, opts.attach);
    const key = `${s.name}\u0000${n.component}`;
    const last = lastSent.get(key);
    if (last !== undefined && now() - last < s.rule.every) {
      s.throttled++;
      return;
    }
    lastSent.set(key, now());
    enqueue(s, { n, test: false });
  }

  function enqueue(s: RuleState, job: Job): void {
    if (s.queue.length >= QUEUE_MAX) {
      s.queue.shift()?.done?.({ rule: s.name, destination: destinationOf(s.rule), ok: false, attempts: 0, error: 'dropped: the queue was full' });
      s.dropped++;
    }
    s.queue.push(job);
    if (!s.busy) void drain(s);
  }

  async function drain(s: RuleState): Promise<void> {
    s.busy = true;
    try {
      while (s.queue.length > 0 && !disposed) await send(s, s.queue.shift()!);
    } finally {
      s.busy = false;
    }
  }

  async function send(s: RuleState, job: Job): Promise<void> {
    const destination = destinationOf(s.rule);
    const started = now();
    // A destination already down gets one try per event, not a minute of retries each.
    const retryFor = job.test || s.downSince !== null ? 0 : s.rule.retry;
    let attempt = 0;
    let delay = RETRY_FIRST_DELAY_MS;
    let error = '';
    for (;;) {
      attempt++;
      try {
        await deliver(s.rule, job.n);
        const recovered = s.downSince !== null ? { recovered_after_ms: now() - s.downSince, failed_while_down: s.failedWhileDown } : {};
        s.downSince = null;
        s.failedWhileDown = 0;
        publish('notify.sent', { rule: s.name, destination, attempt, component: job.n.component, event_type: job.n.event_type, event_id: job.n.event.id, title: job.n.title, ...(job.test ? { test: true } : {}), ...recovered, ...counts(s) });
        job.done?.({ rule: s.name, destination, ok: true, attempts: attempt });
        return;
      } catch (err) {
        error = (err as Error).message;
      }
      if (disposed || now() - started + delay > retryFor) break;
      await sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_DELAY_MS);
    }
    job.done?.({ rule: s.name, destination, ok: false, attempts: attempt, error });
    if (s.downSince !== null && !job.test) {
      s.failedWhileDown++;
      return;
    }
    if (!job.test) s.downSince = now();
    logger?.warn(`notify rule ${s.name} (${destination}) failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${error}`);
    publish('notify.failed', { rule: s.name, destination, attempt, error, component: job.n.component, event_type: job.n.event_type, event_id: job.n.event.id, ...(job.test ? { test: true } : {}), ...counts(s) });
  }

  function apply(rules: NotifyRule[]): void {
    const old = new Map(states.map((s) => [s.name, s]));
    for (const s of states) s.off();
    states = rules.map((rule, i) => {
      const name = ruleName(rule, i);
      const prev = old.get(name);
      // The same destination keeps its queue and its down state; a changed one starts afresh.
      const same = prev && destinationOf(prev.rule) === destinationOf(rule);
      const s: RuleState = { rule, name, queue: same ? prev.queue : [], busy: same ? prev.busy : false, dropped: 0, throttled: 0, downSince: same ? prev.downSince : null, failedWhileDown: same ? prev.failedWhileDown : 0, off: () => {} };
      if (same) prev.queue = [];
      s.off = bus.subscribe({ event_type: rule.on }, (entry) => onEvent(s, entry));
      if (s.queue.length > 0 && !s.busy) void drain(s);
      return s;
    });
  }

  apply(opts.rules);

  return {
    apply,
    ruleNames: () => states.map((s) => s.name),
    async test(name) {
      const chosen = name === undefined ? states : states.filter((s) => s.name === name);
      if (name !== undefined && chosen.length === 0) throw new Error(`no notify rule named "${name}"; the rules are: ${states.map((s) => s.name).join(', ') || '(none)'}`);
      return Promise.all(
        chosen.map(
          (s) =>
            new Promise<TestResult>((resolve) => {
              const event = sample(bus, s.rule);
              enqueue(s, { n: { ...formatNotification(event, opts.attach), title: `corral: test of notify rule ${s.name}`, message: `a sample sent by \`corral notify test\`; rule ${s.name} notifies on ${s.rule.on}` }, test: true, done: resolve });
            }),
        ),
      );
    },
    dispose() {
      disposed = true;
      for (const s of states) s.off();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      states = [];
    },
  };
}

/** The event a test sends: of the rule's first type when it names one. */
function sample(bus: Bus, rule: NotifyRule): CorralEvent {
  const first = rule.on.split(',')[0]!.trim().replace(/\*$/, 'test');
  return { id: `test-${Date.now()}`, timestamp: Date.now(), source: 'corral', session_id: bus.sessionId, event_type: first || 'notify.test', version: '1.0', payload: { component: 'corral', message: 'a test notification' } } as CorralEvent;
}
