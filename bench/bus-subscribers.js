// The subscribers of bench/bus.js: N `ws` clients in this one process (not
// the publisher's, not the server's).
//
//   node bench/bus-subscribers.js --url ws://127.0.0.1:PORT/events --n 10 [--stall 0]
//
// Every message is searched (as bytes, without JSON.parse, so it costs the
// same whatever the server) for `"bench_t":T` markers: each is one delivered
// event, T its publish time on the monotonic clock that every process on the
// machine shares (process.hrtime), so T → now is the publish→receive latency.
// A corral batch frame holds several markers and counts as that many events.
//
// IPC: sends {ready}; {progress: min} whenever the slowest client's count
// grew by STEP (the publisher paces itself on it); on {cmd:'reset'} starts a new
// measurement (counts since then, latencies since then); on {cmd:'report'} sends {report:{counts, p50, p99, n}}.
// `--stall K` also opens K clients that never read (the slow-consumer case);
// their close codes are in the report (a paused socket rarely sees one).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({ options: { url: { type: 'string' }, n: { type: 'string', default: '10' }, stall: { type: 'string', default: '0' } } });
const N = Number(values.n);
const STEP = 100;
const MARK = Buffer.from('"bench_t":');

const hrMs = () => {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
};

// Counts only grow (the publisher compares them with what it sent); a reset
// moves the baseline the report subtracts.
const counts = new Array(N).fill(0);
const base = new Array(N).fill(0);
let lat = new Float64Array(1 << 20);
let nLat = 0;
let lastMin = 0;
const stalledCloses = [];

// BUS_LATDUMP=FILE: also keep each delivery's publish time, and write "publish_ms latency_ms" lines
// of the last measurement to FILE on report (to see when the slow deliveries happen).
const dump = process.env.BUS_LATDUMP;
let at0 = dump ? new Float64Array(1 << 20) : null;

function record(ms, published) {
  if (at0) {
    if (nLat === at0.length) {
      const bigger = new Float64Array(at0.length * 2);
      bigger.set(at0);
      at0 = bigger;
    }
    at0[nLat] = published;
  }
  if (nLat === lat.length) {
    const bigger = new Float64Array(lat.length * 2);
    bigger.set(lat);
    lat = bigger;
  }
  lat[nLat++] = ms;
}

function onMessage(i, data) {
  const t = hrMs();
  const buf = Array.isArray(data) ? Buffer.concat(data) : data;
  let at = buf.indexOf(MARK);
  let n = 0;
  while (at >= 0) {
    const start = at + MARK.length;
    let end = start;
    while (end < buf.length && end - start < 32) {
      const c = buf[end];
      if ((c < 48 || c > 57) && c !== 46) break;
      end++;
    }
    const published = Number(buf.toString('latin1', start, end));
    record(t - published, published);
    n++;
    at = buf.indexOf(MARK, end);
  }
  if (n === 0) return;
  counts[i] += n;
  if (counts[i] >= lastMin + STEP) {
    let min = Infinity;
    for (const c of counts) if (c < min) min = c;
    if (min >= lastMin + STEP) {
      lastMin = min;
      process.send({ progress: min });
    }
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const clients = [];
function open(url, onData) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    ws.on('message', onData);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    clients.push(ws);
  });
}

for (let i = 0; i < N; i++) await open(values.url, (data) => onMessage(i, data));
for (let k = 0; k < Number(values.stall); k++) {
  const ws = await open(values.url, () => {});
  // Never reads again: the server's send buffer for it only grows.
  ws.pause();
  ws.on('close', (code) => stalledCloses.push(code));
  ws.on('error', () => {});
}

process.on('message', (msg) => {
  if (msg.cmd === 'reset') {
    for (let i = 0; i < N; i++) base[i] = counts[i];
    nLat = 0;
  } else if (msg.cmd === 'report') {
    if (dump) {
      const lines = [];
      for (let k = 0; k < nLat; k++) lines.push(`${at0[k].toFixed(3)} ${lat[k].toFixed(3)}`);
      writeFileSync(dump, lines.join('\n') + '\n');
    }
    const sorted = lat.slice(0, nLat).sort();
    process.send({ report: { counts: counts.map((c, i) => c - base[i]), p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), n: nLat, stalledCloses: [...stalledCloses] } });
  } else if (msg.cmd === 'stop') {
    for (const ws of clients) ws.terminate();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => {});
process.send({ ready: true });
