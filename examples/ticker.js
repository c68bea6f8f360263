// Publishes an `example.tick` event on the corral bus every few seconds.
// It uses corral's own client when the package is built (it registers, so the
// bus announces it, and reconnects by itself), else plain `ws` when that is
// installed, else it POSTs each event over HTTP: it needs nothing but Node. CORRAL_URL (default http://127.0.0.1:4000), TICK_MS
// (default 5000), CORRAL_TOKEN (only when the bus requires one).
const base = new URL(process.env.CORRAL_URL ?? 'http://127.0.0.1:4000');
const every = Number(process.env.TICK_MS ?? 5000);
const token = process.env.CORRAL_TOKEN;
const name = process.env.TICKER_NAME ?? 'ticker';
const session = `ticker-${process.pid}`;
let n = 0;

function tick() {
  n++;
  return { source: name, session_id: session, event_type: 'example.tick', payload: { n, pid: process.pid, uptime_ms: Math.round(process.uptime() * 1000) } };
}

async function postLoop() {
  console.log(`ticker: posting example.tick to ${base.origin}/events every ${every} ms`);
  const send = async () => {
    try {
      const res = await fetch(new URL('/events', base), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(tick()),
        signal: AbortSignal.timeout(2000),
      });
      console.log(`ticker: tick ${n} → ${res.status}`);
    } catch (err) {
      console.error(`ticker: tick ${n} not delivered: ${err.message}`);
    }
  };
  await send();
  return setInterval(send, every);
}

function wsLoop(WebSocket) {
  const url = new URL('/events', base);
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  if (token) url.searchParams.set('token', token);
  let timer = null;
  let retry = 500;
  const connect = () => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      retry = 500;
      console.log(`ticker: connected to ${url.origin}${url.pathname}`);
      ws.send(JSON.stringify({ type: 'register', data: { component: name, capabilities: ['example'] } }));
      const send = () => ws.send(JSON.stringify({ type: 'event', data: tick() }));
      send();
      timer = setInterval(send, every);
    });
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'error') console.error(`ticker: bus error ${msg.data?.error_code}: ${msg.data?.error_message}`);
    });
    ws.on('close', () => {
      clearInterval(timer);
      // The daemon may restart: reconnect with a capped backoff.
      retry = Math.min(retry * 2, 10_000);
      setTimeout(connect, retry);
    });
    ws.on('error', (err) => console.error(`ticker: ${err.message}`));
  };
  connect();
}

async function clientLoop(createClient) {
  // No url: the client finds the bus from the environment (CORRAL_STATE_DIR's daemon.json, re-read on every
  // reconnect so it follows a bus that a reload moved to another port; else CORRAL_URL).
  const client = createClient({ token, component: { component: name, capabilities: ['example'] }, filter: { event_type: 'example.none' } });
  client.on('open', ({ reconnect }) => console.log(`ticker: ${reconnect ? 'reconnected' : 'connected'} to the bus (corral client)`));
  client.on('error', (err) => console.error(`ticker: ${err.error_code}: ${err.error_message}`));
  await client.connect();
  // Published while disconnected, the client queues and sends on reconnect.
  const send = () => client.publish(tick());
  send();
  return setInterval(send, every);
}

process.on('SIGTERM', () => process.exit(0));
let client = null;
try {
  client = await import(new URL('../dist/src/index.js', import.meta.url).href);
} catch {}
if (client?.createClient) {
  await clientLoop(client.createClient).catch(async (err) => {
    console.error(`ticker: ${err.message}; falling back to HTTP`);
    await postLoop();
  });
} else {
  try {
    const { default: WebSocket } = await import('ws');
    wsLoop(WebSocket);
  } catch {
    await postLoop();
  }
}
