import { publishOwn } from '../bus/own-events.js';
import type { ServerResponse } from 'node:http';
import WebSocket from 'ws';
import { decisionAnswer, MAX_PENDING, type HookGate, type Outcome, type RuleVerdict } from '../hooks/gate.js';
import type { BusEntry } from '../bus/types.js';
import { BodyError, parseJson, readBody, sendError, sendJson } from './http-util.js';
import type { RouteContext } from './route-context.js';
import type { Route } from './routes.js';

const ANSWER_MAX = 64 * 1024;

/**
 * What a hook answers once stored (postHook): `{}` when no rule applies; a
 * deny decision at once; an `ask` holds the request open as a pending
 * decision and answers with its outcome. The 200 and its headers go out
 * first (`x-corral-decision: pending`, the id and the timeout), so
 * `corral hook` knows to wait; the body follows when the decision is made.
 */
export async function answerHook(ctx: RouteContext, gate: HookGate | undefined, hook: string, body: unknown, entry: BusEntry, headers: Record<string, string | number>): Promise<void> {
  const { res } = ctx;
  const verdict: RuleVerdict = gate ? gate.judge(hook, body) : { kind: 'none' };
  if (verdict.kind === 'none') return end(res, 202, headers, '{}');
  if (verdict.kind === 'deny') {
    publishOwn(ctx.opts.bus, 'hook.decision.made', { hook, session_id: entry.event.session_id, tool: verdict.tool, rule: verdict.rule, event_id: entry.event.id, decision: 'deny', reason: verdict.reason, by: 'rule', waited_ms: 0 });
    return end(res, 200, headers, JSON.stringify(decisionAnswer(hook, 'deny', verdict.reason)));
  }
  const input = (body as { tool_input?: unknown }).tool_input;
  const held = gate!.decisions.hold({ kind: 'hook', hook, session_id: entry.event.session_id, project: entry.event.source_app ?? '', tool: verdict.tool, rule: verdict.rule, question: verdict.reason, event_id: entry.event.id, input: (JSON.stringify(input) ?? '').slice(0, 300) });
  if (!held) {
    ctx.opts.logger?.warn(`hooks.${verdict.rule}: ${gate!.decisions.list().length} decisions already pending; ${verdict.tool} left to Claude Code's own permission prompt`);
    // Escalated to Claude Code's own permission prompt rather than let through unasked.
    const escalate = hook === 'PreToolUse' ? { hookSpecificOutput: { hookEventName: hook, permissionDecision: 'ask', permissionDecisionReason: `${verdict.reason} (corral holds ${MAX_PENDING} decisions already)` } } : {};
    return end(res, 200, headers, JSON.stringify(escalate));
  }
  res.writeHead(200, { ...headers, 'content-type': 'application/json; charset=utf-8', 'x-corral-decision': 'pending', 'x-corral-decision-id': held.id, 'x-corral-ask-timeout-ms': String(gate!.askTimeoutMs()) });
  res.flushHeaders();
  // Claude Code gave up (its hook timeout) or `corral hook` died: the decision is not waited for any more.
  const gone = () => gate!.decisions.answer(held.id, { decision: 'deny', reason: 'the hook client went away before an answer', by: 'client_gone' });
  res.once('close', gone);
  const outcome = await held.outcome;
  res.off('close', gone);
  if (!res.writableEnded && !res.destroyed) res.end(JSON.stringify(decisionAnswer(hook, outcome.decision, outcome.reason)));
}

function end(res: ServerResponse, status: number, headers: Record<string, string | number>, text: string): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

interface HitlRequest {
  question?: unknown;
  responseWebSocketUrl?: unknown;
  type?: unknown;
  timeout?: unknown;
}

// A response socket is the asking script's own, on this machine: corral never connects elsewhere for it.
const LOCAL_WS = /^ws:\/\/(localhost|127\.0\.0\.1|\[::1\]):\d+(\/|$)/;

/** Sends the dashboard's answer to the waiting hook script's WebSocket, as the observability server does. */
function sendToAgent(url: string, message: unknown, log: RouteContext['opts']['logger']): void {
  if (!LOCAL_WS.test(url)) {
    log?.warn(`humanInTheLoop: not sending the answer to ${url.slice(0, 200)} (only ws://localhost, 127.0.0.1 or [::1])`);
    return;
  }
  const ws = new WebSocket(url, { handshakeTimeout: 5000 });
  const t = setTimeout(() => ws.terminate(), 5000);
  ws.on('open', () => ws.send(JSON.stringify(message), () => ws.close()));
  ws.on('close', () => clearTimeout(t));
  ws.on('error', (err) => log?.warn(`humanInTheLoop: the answer could not be sent to ${url}: ${err.message}`));
}

/** What the stored HITL events are waited on for: the event as stored, to answer /respond with it updated. */
const hitlEvents = new Map<string, Record<string, unknown>>();

/**
 * An observability hook body with `humanInTheLoop` (postEvents): stored with
 * `humanInTheLoopStatus: {status: "pending"}` and held as a pending decision
 * (its own `timeout`, in seconds, else hooks.ask_timeout), answered by
 * `POST /events/ID/respond`, `corral approve|deny` or the timeout.
 */
export function holdHitl(ctx: RouteContext, entry: BusEntry): void {
  const gate = ctx.opts.hooks;
  const e = entry.event as unknown as Record<string, unknown> & { humanInTheLoop?: HitlRequest };
  const h = e.humanInTheLoop;
  if (!gate || !h || typeof h !== 'object') return;
  const seconds = typeof h.timeout === 'number' && h.timeout > 0 ? Math.min(h.timeout, 3600) : undefined;
  const held = gate.decisions.hold(
    { kind: 'hitl', hook: String(e.hook_event_type ?? e.event_type), session_id: entry.event.session_id, project: entry.event.source_app ?? entry.event.source, tool: typeof h.type === 'string' ? h.type : 'question', rule: 'humanInTheLoop', question: typeof h.question === 'string' ? h.question.slice(0, 2000) : '', event_id: entry.event.id },
    seconds === undefined ? undefined : seconds * 1000,
  );
  if (!held) return;
  hitlEvents.set(entry.event.id, JSON.parse(entry.json) as Record<string, unknown>);
  void held.outcome.then((o: Outcome) => {
    const stored = hitlEvents.get(entry.event.id);
    hitlEvents.delete(entry.event.id);
    // A timeout sends nothing: the script stops waiting at the same time, as with the observability server.
    if (o.by !== 'user' || typeof h.responseWebSocketUrl !== 'string') return;
    const response = { ...(o.response ?? { permission: o.decision === 'allow', ...(o.decision === 'deny' ? { response: o.reason } : {}) }), hookEvent: stored, respondedAt: Date.now() };
    sendToAgent(h.responseWebSocketUrl, response, ctx.opts.logger);
  });
}

async function readAnswer(ctx: RouteContext): Promise<Record<string, unknown> | null> {
  const buf = await readBody(ctx.req, ANSWER_MAX, `${ANSWER_MAX}-byte limit of an answer`, { budget: ctx.bodies, res: ctx.res });
  if (buf.length === 0) return {};
  const v = parseJson(buf);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    void sendError(ctx.req, ctx.res, 400, 'the body must be a JSON object');
    return null;
  }
  return v as Record<string, unknown>;
}

async function withBody(ctx: RouteContext, then: (body: Record<string, unknown>) => Promise<void>): Promise<void> {
  let body: Record<string, unknown> | null;
  try {
    body = await readAnswer(ctx);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    return sendError(ctx.req, ctx.res, err.status, err.message);
  }
  if (body) return then(body);
}

function decide(verb: 'approve' | 'deny'): Route {
  return {
    method: 'POST',
    path: `/api/decisions/:id/${verb}`,
    auth: 'token',
    handler: (ctx, p) =>
      withBody(ctx, async (body) => {
        const gate = ctx.opts.hooks;
        if (!gate) return sendError(ctx.req, ctx.res, 503, 'hook decisions are not available');
        const id = p.id!;
        const reason = typeof body.reason === 'string' && body.reason !== '' ? body.reason.slice(0, 2000) : verb === 'approve' ? 'approved with corral approve' : 'denied with corral deny';
        const info = gate.decisions.list().find((d) => d.decision_id === id || d.event_id === id);
        if (!info || !gate.decisions.answer(info.decision_id, { decision: verb === 'approve' ? 'allow' : 'deny', reason })) {
          return sendError(ctx.req, ctx.res, 404, `no pending decision ${JSON.stringify(id)} (answered already, timed out, or never asked); \`corral decisions\` lists the pending ones`);
        }
        return sendJson(ctx.req, ctx.res, 200, { ok: true, decision_id: info.decision_id, decision: verb === 'approve' ? 'allow' : 'deny', reason });
      }),
  };
}

/** POST /events/ID/respond: the observability dashboard's answer to a humanInTheLoop event. */
async function respond(ctx: RouteContext, id: string): Promise<void> {
  if (ctx.bucket().take(1) === false) return sendError(ctx.req, ctx.res, 429, 'rate limited', { code: 'WS004' });
  return withBody(ctx, async (body) => {
    const gate = ctx.opts.hooks;
    const info = gate?.decisions.byEvent(id);
    const stored = hitlEvents.get(id);
    if (!gate || !info || !stored) return sendError(ctx.req, ctx.res, 404, `no pending humanInTheLoop event ${JSON.stringify(id)} (answered already, timed out, or not a question)`);
    const { hookEvent: _ignored, ...answer } = body;
    const respondedAt = Date.now();
    const decision = answer.permission === false ? 'deny' : 'allow';
    const reason = typeof answer.response === 'string' ? answer.response.slice(0, 2000) : typeof answer.choice === 'string' ? answer.choice.slice(0, 2000) : decision === 'allow' ? 'approved in the dashboard' : 'denied in the dashboard';
    const response = { ...answer, respondedAt };
    gate.decisions.answer(info.decision_id, { decision, reason, response });
    return sendJson(ctx.req, ctx.res, 200, { ...stored, humanInTheLoopStatus: { status: 'responded', respondedAt, response } });
  });
}

/** The decision routes: the list and the answers need the token; /respond is the dashboard's (a publisher's). */
export const DECISION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/decisions',
    auth: 'token',
    handler: async (ctx) => sendJson(ctx.req, ctx.res, 200, { decisions: ctx.opts.hooks?.decisions.list() ?? [] }),
  },
  decide('approve'),
  decide('deny'),
  { method: 'POST', path: '/events/:id/respond', auth: 'publish', handler: (ctx, p) => respond(ctx, p.id!) },
];
