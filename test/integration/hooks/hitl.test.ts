import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { recordingServer } from '../notify/servers.js';
import { startProject, until } from './daemon.js';

type Project = Awaited<ReturnType<typeof startProject>>;
let p: Project;
let pager: Awaited<ReturnType<typeof recordingServer>>;

beforeAll(async () => {
  pager = await recordingServer();
  p = await startProject(`version: 1
bus: { port: 0 }
resources: { enabled: false }
notify:
  - { on: hook.decision.pending, webhook: "${pager.url}/pending", every: 0s }
`);
}, 60_000);
afterAll(async () => {
  await p?.cleanup();
  await pager?.close();
}, 60_000);

/** What the observability project's hook script (utils/hitl.py) does: a WebSocket server of its own, then POST /events with humanInTheLoop. */
async function askLikeHitlPy(baseUrl: string, session: string) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const answer = new Promise<Record<string, unknown>>((resolve) => wss.on('connection', (ws) => ws.once('message', (m) => resolve(JSON.parse(String(m)) as Record<string, unknown>))));
  const res = await fetch(`${baseUrl}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      source_app: 'hitl-test',
      session_id: session,
      hook_event_type: 'HumanInTheLoop',
      payload: {},
      humanInTheLoop: { question: 'Agent wants to run: rm -rf /tmp/old_backups. Allow?', responseWebSocketUrl: `ws://localhost:${port}`, type: 'permission', choices: null, timeout: 120, requiresResponse: true },
      timestamp: Date.now(),
    }),
  });
  return { res, answer, close: () => new Promise<void>((r) => wss.close(() => r())) };
}

/** What the observability dashboard does: /stream, then the event whose humanInTheLoopStatus is pending. */
function dashboardSees(baseUrl: string, session: string): { event: Promise<Record<string, unknown>>; close: () => void } {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/stream`);
  const event = new Promise<Record<string, unknown>>((resolve) =>
    ws.on('message', (m) => {
      const msg = JSON.parse(String(m)) as { type: string; data: unknown };
      const list = (msg.type === 'initial' ? msg.data : [msg.data]) as Record<string, unknown>[];
      for (const e of list) if (e.session_id === session && (e.humanInTheLoopStatus as { status?: string } | undefined)?.status === 'pending') resolve(e);
    }),
  );
  return { event, close: () => ws.close() };
}

describe("the observability dashboard's human-in-the-loop against corral", () => {
  it('the question is stored pending, the dashboard answers POST /events/ID/respond, and the waiting script receives the answer', async () => {
    const dash = dashboardSees(p.url, 'hitl-1');
    const agent = await askLikeHitlPy(p.url, 'hitl-1');
    try {
      expect(agent.res.status).toBe(200);
      const saved = (await agent.res.json()) as Record<string, unknown>;
      expect(saved.humanInTheLoopStatus).toEqual({ status: 'pending' });
      const seen = await dash.event;
      expect(seen.id).toBe(saved.id);
      const respond = await fetch(`${p.url}/events/${String(seen.id)}/respond`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ permission: true, hookEvent: seen, respondedAt: Date.now() }) });
      expect(respond.status).toBe(200);
      const updated = (await respond.json()) as { id: string; humanInTheLoopStatus: { status: string; response: { permission: boolean } } };
      expect(updated.id).toBe(saved.id);
      expect(updated.humanInTheLoopStatus).toMatchObject({ status: 'responded', response: { permission: true } });
      const got = await agent.answer;
      expect(got).toMatchObject({ permission: true, hookEvent: { id: saved.id } });
      const made = await until('the decision event', () => p.events('hook.decision.made'), (l) => l.some((e) => e.payload.session_id === 'hitl-1'));
      expect(made.find((e) => e.payload.session_id === 'hitl-1')?.payload).toMatchObject({ kind: 'hitl', decision: 'allow', by: 'user', rule: 'humanInTheLoop' });
      // Answered once: a second answer finds nothing pending.
      expect((await fetch(`${p.url}/events/${String(seen.id)}/respond`, { method: 'POST', body: '{"permission":false}' })).status).toBe(404);
    } finally {
      dash.close();
      await agent.close();
    }
  });

  it('a notify rule on hook.decision.pending tells the person, and `corral deny` answers the script with permission false', async () => {
    const agent = await askLikeHitlPy(p.url, 'hitl-2');
    try {
      const saved = (await agent.res.json()) as { id: string };
      await until('the pending notification', async () => pager.got.map((g) => JSON.parse(g.body) as { title: string; message: string; event: { payload: { session_id: string; decision_id: string } } }), (l) => l.some((n) => n.event.payload.session_id === 'hitl-2'));
      const note = pager.got.map((g) => JSON.parse(g.body) as { title: string; message: string; event: { payload: { session_id: string; decision_id: string } } }).find((n) => n.event.payload.session_id === 'hitl-2')!;
      expect(note.title).toBe('corral: hitl-test asks: Agent wants to run: rm -rf /tmp/old_backups. Allow?');
      expect(note.message).toContain(`corral approve ${note.event.payload.decision_id}`);
      const deny = await p.cli(['deny', saved.id, '--reason', 'keep the backups']);
      expect(deny.code).toBe(0);
      expect(await agent.answer).toMatchObject({ permission: false, response: 'keep the backups' });
    } finally {
      await agent.close();
    }
  });
});
