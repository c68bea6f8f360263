import { randomUUID } from 'node:crypto';
import type { DecidedBy, OwnEventPayloads, PendingDecision } from '../schema/payloads.js';

/** Most decisions held at once; the next `ask` is answered at once with the default (and says so). */
export const MAX_PENDING = 256;

export type { DecidedBy, PendingDecision } from '../schema/payloads.js';

/** The outcome a waiting request is given. */
export interface Outcome {
  decision: 'allow' | 'deny';
  reason: string;
  by: DecidedBy;
  /** The dashboard's whole answer (a HITL `response`, `choice`, `permission`), when there is one. */
  response?: Record<string, unknown>;
}

interface Held {
  info: PendingDecision;
  timer: NodeJS.Timeout;
  settle: (o: Outcome) => void;
}

/** Publishes one of corral's own decision events (publishOwn on the daemon's bus, src/bus/own-events.ts). */
export type PublishOwn = <K extends 'hook.decision.pending' | 'hook.decision.made'>(type: K, payload: OwnEventPayloads[K]) => void;

export interface DecisionsOptions {
  publish: PublishOwn;
  /** The timeout and default in force now (hot reload changes them for new decisions). */
  settings: () => { timeoutMs: number; onTimeout: 'allow' | 'deny' };
  max?: number;
}

/** The pending decisions of one daemon: many at once, each with its own timer; nothing here blocks. */
export interface Decisions {
  /** Holds a request; null when MAX_PENDING are held already. `timeoutMs` overrides the setting (a HITL question's own timeout). */
  hold(info: Omit<PendingDecision, 'decision_id' | 'created_at' | 'expires_at'>, timeoutMs?: number): { id: string; outcome: Promise<Outcome> } | null;
  /** Answers one; false when no such decision is pending (already answered, timed out, or unknown). */
  answer(id: string, outcome: Omit<Outcome, 'by'> & { by?: DecidedBy }): boolean;
  /** The pending decision an event asked, by the event's id. */
  byEvent(eventId: string): PendingDecision | undefined;
  list(): PendingDecision[];
  /** Answers every pending decision with the default (daemon shutdown). */
  close(): void;
}

export function createDecisions(opts: DecisionsOptions): Decisions {
  const held = new Map<string, Held>();
  const max = opts.max ?? MAX_PENDING;

  function finish(id: string, outcome: Outcome): boolean {
    const h = held.get(id);
    if (!h) return false;
    held.delete(id);
    clearTimeout(h.timer);
    const i = h.info;
    opts.publish('hook.decision.made', {
      decision_id: id,
      kind: i.kind,
      hook: i.hook,
      session_id: i.session_id,
      tool: i.tool,
      rule: i.rule,
      event_id: i.event_id,
      decision: outcome.decision,
      reason: outcome.reason,
      by: outcome.by,
      waited_ms: Date.now() - i.created_at,
      ...(outcome.response ? { response: outcome.response } : {}),
    });
    h.settle(outcome);
    return true;
  }

  return {
    hold(base, timeoutMs) {
      if (held.size >= max) return null;
      const { timeoutMs: configured, onTimeout } = opts.settings();
      const wait = timeoutMs ?? configured;
      const id = randomUUID();
      const now = Date.now();
      const info: PendingDecision = { ...base, decision_id: id, created_at: now, expires_at: now + wait };
      let settle!: (o: Outcome) => void;
      const outcome = new Promise<Outcome>((r) => (settle = r));
      const timer = setTimeout(() => finish(id, { decision: onTimeout, reason: `no answer within ${Math.round(wait / 1000)} s (hooks.ask_timeout): ${onTimeout} by default`, by: 'timeout' }), wait);
      timer.unref();
      held.set(id, { info, timer, settle });
      opts.publish('hook.decision.pending', { ...info });
      return { id, outcome };
    },
    answer(id, o) {
      return finish(id, { decision: o.decision, reason: o.reason, by: o.by ?? 'user', ...(o.response ? { response: o.response } : {}) });
    },
    byEvent(eventId) {
      for (const h of held.values()) if (h.info.event_id === eventId) return h.info;
      return undefined;
    },
    list: () => [...held.values()].map((h) => h.info),
    close() {
      const { onTimeout } = opts.settings();
      for (const id of [...held.keys()]) finish(id, { decision: onTimeout, reason: `corral shut down before an answer: ${onTimeout} by default`, by: 'shutdown' });
    },
  };
}
