// The normal clients of bench/hostile.js, in their own process so the hostile
// load (the bench's own event loop writing 30 MiB bodies) does not delay them:
// a publisher of a steady stream, a subscriber that counts what it receives,
// and a /health poller. All three connect from 127.0.0.2 (still loopback) so
// that the per-address HTTP rate limit they are charged is not the one the
// hostile clients (from 127.0.0.1) spend: what is measured is the daemon, not
// the rate limit sharing one bucket.
//
// IPC: {cmd:'start', port, run, rate, healthEveryMs} → opens the subscriber
// (`?event_type=bench.steady`), waits for its `initial`, then publishes one
// small event per POST /events every 1000/rate ms and sends GET /health every
// healthEveryMs ms (not waiting for the previous one: a frozen daemon shows as
// many slow answers, not as one) → {started:true} or {started:false, error}.
// {cmd:'stop'} → stops publishing and polling, waits (bounded) for the answers
// still due and for the subscriber to receive every acknowledged event, then
// {report:{...}}. Exits when the parent goes.
import http from 'node:http';
import WebSocket from 'ws';

const FROM = '127.0.0.2';
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_HEALTH_IN_FLIGHT = 200;
// 5 s of the stream at 50/s: only a daemon that stopped answering holds the publisher back.
const MAX_PUBLISH_IN_FLIGHT = 256;

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(fn, ms) {
  const t0 = now();
  while (!fn() && now() - t0 < ms) await sleep(20);
  return fn();
}

let state = null;

function request(port, method, path, body, agent) {
  return new Promise((resolve) => {
    const t0 = now();
    const req = http.request(
      { host: '127.0.0.1', port, method, path, localAddress: FROM, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), ms: now() - t0 }));
        res.on('error', (err) => resolve({ error: err.code ?? err.message, ms: now() - t0 }));
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err) => resolve({ error: err.code ?? err.message, ms: now() - t0 }));
    if (state) {
      const requests = state.requests;
      requests.add(req);
      req.on('close', () => requests.delete(req));
    }
    req.end(body);
  });
}

function openSubscriber(s) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/events?event_type=bench.steady`, { perMessageDeflate: false, localAddress: FROM, maxPayload: 256 * 1024 * 1024 });
    s.ws = ws;
    const timer = setTimeout(() => resolve('no initial from the subscriber within 20 s'), 20_000);
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      if (msg.type === 'initial') {
        clearTimeout(timer);
        resolve(null);
      } else if (msg.type === 'event') {
        for (const e of Array.isArray(msg.data) ? msg.data : [msg.data]) if (e?.payload?.run === s.run) s.received.add(e.payload.i);
      }
    });
    ws.on('close', (code) => {
      s.subClose ??= code;
      clearTimeout(timer);
      resolve(`subscriber closed (${code}) before its initial`);
    });
    ws.on('error', (err) => {
      s.subError ??= err.message;
    });
  });
}

function publishOne(s) {
  if (s.publishing >= MAX_PUBLISH_IN_FLIGHT) {
    s.skipped++;
    return;
  }
  const i = s.sent++;
  s.publishing++;
  const body = JSON.stringify({ source: 'bench', session_id: 'steady', event_type: 'bench.steady', payload: { run: s.run, i } });
  void request(s.port, 'POST', '/events', body, s.pubAgent).then((r) => {
    s.publishing--;
    if (r.status === 202) s.acked.add(i);
    else if (r.status !== undefined) s.refused[r.status] = (s.refused[r.status] ?? 0) + 1;
    else if (r.error === 'TIMEOUT') s.unanswered++;
    else s.failed[r.error] = (s.failed[r.error] ?? 0) + 1;
  });
}

function pollHealth(s) {
  if (s.healthInFlight.size >= MAX_HEALTH_IN_FLIGHT) return;
  const probe = { t0: now() };
  s.healthInFlight.add(probe);
  void request(s.port, 'GET', '/health', undefined, false).then((r) => {
    if (!s.healthInFlight.delete(probe)) return;
    if (r.status === 200) s.latencies.push(r.ms);
    else s.healthFailed[r.status ?? r.error] = (s.healthFailed[r.status ?? r.error] ?? 0) + 1;
  });
}

async function start(msg) {
  const s = {
    port: msg.port,
    run: msg.run,
    ws: null,
    received: new Set(),
    acked: new Set(),
    sent: 0,
    skipped: 0,
    publishing: 0,
    refused: {},
    failed: {},
    unanswered: 0,
    latencies: [],
    healthInFlight: new Set(),
    healthFailed: {},
    requests: new Set(),
    subClose: null,
    subError: null,
    pubAgent: new http.Agent({ keepAlive: true, maxSockets: 8 }),
    timers: [],
  };
  state = s;
  const problem = await openSubscriber(s);
  if (problem) return process.send({ started: false, error: problem });
  s.timers.push(setInterval(() => publishOne(s), 1000 / msg.rate));
  s.timers.push(setInterval(() => pollHealth(s), msg.healthEveryMs));
  process.send({ started: true });
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function stop() {
  const s = state;
  for (const t of s.timers) clearInterval(t);
  const stoppedAt = now();
  // Answers still due: publishes up to 10 s, then deliveries of what was acknowledged up to 10 s more.
  await until(() => s.publishing === 0 && s.healthInFlight.size === 0, 10_000);
  const subOpen = () => s.ws.readyState === WebSocket.OPEN;
  await until(() => !subOpen() || [...s.acked].every((i) => s.received.has(i)), 10_000);
  // A /health still unanswered counts with the time it has waited so far (a lower bound).
  const unansweredHealth = s.healthInFlight.size;
  for (const probe of s.healthInFlight) s.latencies.push(now() - probe.t0);
  s.healthInFlight.clear();
  const stillPublishing = s.publishing;
  for (const req of s.requests) req.destroy();
  s.pubAgent.destroy();
  s.ws.terminate();
  const sorted = s.latencies.slice().sort((a, b) => a - b);
  let delivered = 0;
  for (const i of s.acked) if (s.received.has(i)) delivered++;
  state = null;
  process.send({
    report: {
      sent: s.sent,
      skipped: s.skipped,
      published: s.acked.size,
      delivered,
      // Received without an acknowledgement (its answer was lost or late): stored all the same.
      unacknowledgedReceived: [...s.received].filter((i) => !s.acked.has(i)).length,
      refused: s.refused,
      failed: s.failed,
      unanswered: s.unanswered + stillPublishing,
      subscriberClosed: s.subClose,
      subscriberError: s.subError,
      health: { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? NaN, unanswered: unansweredHealth, failed: s.healthFailed },
      drainMs: now() - stoppedAt,
    },
  });
}

process.on('message', (msg) => {
  if (msg.cmd === 'start') void start(msg).catch((err) => process.send({ started: false, error: err.message }));
  else if (msg.cmd === 'stop') void stop().catch((err) => process.send({ report: { error: err.message } }));
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.send({ ready: true });
