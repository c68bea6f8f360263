// The hostile loads of bench/hostile.js, each started against a daemon's port
// and stopped by the bench: `start(port, opts)` returns `{ stop() }`, and
// stop() ends every socket and request the load opened and resolves with a
// one-line note of what the daemon answered. Every load is bounded in count
// as well as by the bench's clock, and only ever talks to 127.0.0.1.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';

const tally = (t, key) => (t[key] = (t[key] ?? 0) + 1);
const describe = (t) => Object.entries(t).map(([k, n]) => `${n}× ${k}`).join(', ') || 'none';

/** POSTs `body` (a Buffer); resolves with the status, or the error's code (an aborted request resolves 'aborted'). */
function post(port, path, body, inflight) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ outcome: `HTTP ${res.statusCode}`, ms: performance.now() - t0 }));
        res.on('error', () => resolve({ outcome: 'aborted', ms: performance.now() - t0 }));
      },
    );
    req.on('error', (err) => resolve({ outcome: inflight.stopped ? 'aborted' : (err.code ?? err.message), ms: performance.now() - t0 }));
    req.on('close', () => inflight.delete(req));
    inflight.add(req);
    req.end(body);
  });
}

/** The slowest answer, and how long the requests that the load's end aborted had waited. */
function answerTimes() {
  let slowest = -1;
  let waited = -1;
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  return {
    add(a, outcomes) {
      tally(outcomes, a.outcome === 'aborted' ? 'unanswered when the load ended' : a.outcome);
      if (a.outcome === 'aborted') waited = Math.max(waited, a.ms);
      else slowest = Math.max(slowest, a.ms);
    },
    describe: () => [slowest >= 0 ? `slowest answer ${s(slowest)}` : 'no answer', ...(waited >= 0 ? [`unanswered ones had waited up to ${s(waited)}`] : [])].join(', '),
  };
}

function requestSet() {
  const set = new Set();
  set.stopped = false;
  set.abort = () => {
    set.stopped = true;
    for (const r of set) r.destroy();
  };
  return set;
}

/**
 * (a) `clients` raw TCP clients send a WebSocket upgrade for `/events?after=1`
 * and never read a byte: the socket is paused before it connects, so Node never
 * reads it and the kernel's receive buffer fills, then the daemon's send buffer.
 */
export function replayLoad(port, { clients = 20 } = {}) {
  const sockets = [];
  const errors = {};
  let connected = 0;
  for (let i = 0; i < clients; i++) {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.pause();
    sock.on('connect', () => {
      connected++;
      const key = randomBytes(16).toString('base64');
      sock.write(`GET /events?after=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('error', (err) => tally(errors, err.code ?? err.message));
    sockets.push(sock);
  }
  return {
    stop: async () => {
      for (const s of sockets) s.destroy();
      return `${connected}/${clients} replay clients connected${Object.keys(errors).length ? `; errors ${describe(errors)}` : ''}`;
    },
  };
}

/** A Claude Code PostToolUse hook body of exactly `bytes` bytes (a Read whose content is one long string). */
function hookBody(bytes) {
  const head = Buffer.from('{"session_id":"hostile","hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{"file_path":"/tmp/big"},"tool_response":{"content":"');
  const tail = Buffer.from('"}}');
  const body = Buffer.alloc(bytes, 'x');
  head.copy(body, 0);
  tail.copy(body, bytes - tail.length);
  return body;
}

/** (b) `concurrent` POST /hooks/PostToolUse of `mib` MiB each at once, in waves (the next once all answered), at most `waves` waves. */
export function hookLoad(port, { concurrent = 8, mib = 30, waves = 4 } = {}) {
  const body = hookBody(mib * 1024 * 1024);
  const inflight = requestSet();
  const outcomes = {};
  const times = answerTimes();
  let sent = 0;
  const done = (async () => {
    for (let w = 0; w < waves && !inflight.stopped; w++) {
      const answers = await Promise.all(
        Array.from({ length: concurrent }, () => {
          sent++;
          return post(port, '/hooks/PostToolUse', body, inflight);
        }),
      );
      for (const a of answers) times.add(a, outcomes);
    }
  })();
  return {
    stop: async () => {
      inflight.abort();
      await done;
      return `${sent} × ${mib} MiB hook bodies, ${concurrent} at a time: ${describe(outcomes)}; ${times.describe()}`;
    },
  };
}

/** (c) POST /events, one at a time (at most `max`), of an event whose one string is `bytes` of repeated private-key headers. */
export function redactLoad(port, { bytes = 1_000_000, max = 100 } = {}) {
  const header = '-----BEGIN PRIVATE KEY-----';
  const text = header.repeat(Math.floor(bytes / header.length));
  const body = Buffer.from(JSON.stringify({ source: 'hostile', session_id: 'hostile', event_type: 'hostile.redact', payload: { text } }));
  const inflight = requestSet();
  const outcomes = {};
  const times = answerTimes();
  let sent = 0;
  const done = (async () => {
    while (sent < max && !inflight.stopped) {
      sent++;
      const a = await post(port, '/events', body, inflight);
      times.add(a, outcomes);
      // A refused connection (the daemon is gone) would otherwise spin.
      if (!a.outcome.startsWith('HTTP')) await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      inflight.abort();
      await done;
      return `${sent} × ${(body.length / 1e6).toFixed(2)} MB bodies, one at a time: ${describe(outcomes)}; ${times.describe()}`;
    },
  };
}

/** `n` distinct event types, `t0,t1,…`, joined by commas. */
const terms = (n) => Array.from({ length: n }, (_, i) => `t${i}`).join(',');

/** Opens a WebSocket and resolves with what happened first: the first frame's type (or its error code), a refusal, a close or a timeout. */
function firstAnswer(url, sockets, ms = 5000) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    sockets.add(ws);
    const finish = (outcome) => {
      clearTimeout(timer);
      ws.terminate();
      sockets.delete(ws);
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(`no answer in ${ms / 1000} s`), ms);
    ws.on('unexpected-response', (_req, res) => finish(`HTTP ${res.statusCode}`));
    ws.on('message', (data) => finish(frameOutcome(data)));
    ws.on('close', (code) => finish(`closed ${code}`));
    ws.on('error', (err) => finish(err.code ?? err.message.slice(0, 40)));
  });
}

function frameOutcome(data) {
  try {
    const msg = JSON.parse(data.toString('utf8'));
    if (msg.type === 'initial') return 'accepted';
    if (msg.type === 'error') return `${msg.data?.error_code ?? 'error'} "${String(msg.data?.error_message ?? '').slice(0, 50)}"`;
    return msg.type;
  } catch {
    return 'unparseable frame';
  }
}

/**
 * (d) A filter of `n` event types, every `everyMs` (at most `max` rounds), in
 * this order: a WebSocket upgrade carrying it in the query string, the same
 * with as many terms as fit in Node's default 16 KiB request head (the full
 * list does not), and a `subscribe` message with it on a connection held open
 * for the load.
 */
export function filterLoad(port, { n = 5000, everyMs = 1000, max = 60 } = {}) {
  const full = terms(n);
  let fit = n;
  while (`/events?event_type=${terms(fit)}`.length > 14_000) fit = Math.floor(fit * 0.9);
  const sockets = new Set();
  const outcomes = { upgrade: {}, fitted: {}, subscribe: {} };
  let stopped = false;
  const base = `ws://127.0.0.1:${port}/events`;
  const held = new WebSocket(`${base}?event_type=hostile.none`, { perMessageDeflate: false });
  sockets.add(held);
  held.on('error', () => {});
  const heldOpen = new Promise((resolve) => {
    held.once('message', () => resolve(true));
    held.once('close', () => resolve(false));
    held.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 5000);
  });
  const subscribe = () =>
    new Promise((resolve) => {
      if (held.readyState !== WebSocket.OPEN) return resolve('held connection not open');
      const timer = setTimeout(() => finish('no answer in 5 s'), 5000);
      const onMessage = (data) => finish(frameOutcome(data));
      const onClose = (code) => finish(`closed ${code}`);
      function finish(outcome) {
        clearTimeout(timer);
        held.off('message', onMessage);
        held.off('close', onClose);
        resolve(outcome);
      }
      held.on('message', onMessage);
      held.on('close', onClose);
      held.send(JSON.stringify({ type: 'subscribe', data: { event_type: full } }));
    });
  const done = (async () => {
    await heldOpen;
    for (let round = 0; round < max && !stopped; round++) {
      const t0 = performance.now();
      tally(outcomes.upgrade, await firstAnswer(`${base}?event_type=${full}`, sockets));
      if (stopped) break;
      tally(outcomes.fitted, await firstAnswer(`${base}?event_type=${terms(fit)}`, sockets));
      if (stopped) break;
      tally(outcomes.subscribe, await subscribe());
      const rest = everyMs - (performance.now() - t0);
      if (rest > 0 && !stopped) await new Promise((r) => setTimeout(r, rest));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      for (const ws of sockets) ws.terminate();
      await done;
      return `upgrade ${n} terms: ${describe(outcomes.upgrade)}; upgrade ${fit} terms: ${describe(outcomes.fitted)}; subscribe ${n} terms: ${describe(outcomes.subscribe)}`;
    },
  };
}
