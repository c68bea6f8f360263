import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { createBus } from '../../../src/bus/bus.js';
import { createEventStore, type EventStoreOptions } from '../../../src/bus/store.js';
import type { Bus, EventStore } from '../../../src/bus/types.js';
import { createServer, type CorralServer, type ServerOptions } from '../../../src/server/index.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface TestServer {
  server: CorralServer;
  bus: Bus;
  store: EventStore;
  dir: string;
  wsUrl: (query?: string) => string;
  close(): Promise<void>;
}

// What the tests of a file started and have not closed: `useTestServer` closes it after each test.
const openServers = new Set<TestServer>();
const openClients = new Set<TestClient>();

/**
 * The setup of a file of server tests (call it once, at the top): after each
 * test, every client `connect` opened is closed, then every server
 * `startTestServer` started, its store and temp dir included, even when the
 * test failed half-way.
 */
export function useTestServer(): void {
  afterEach(closeTestServers);
}

/** Closes every client and server still open (what `useTestServer` runs after each test). */
export async function closeTestServers(): Promise<void> {
  for (const c of [...openClients]) c.close();
  const servers = [...openServers];
  openServers.clear();
  await Promise.all(servers.map((s) => s.close()));
}

/** A real server on port 0 with a real SQLite store in a temp dir; `close()` ends it (`useTestServer` does it for you). */
export async function startTestServer(overrides: Partial<ServerOptions> = {}, storeOptions: Partial<EventStoreOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-server-'));
  const store = createEventStore({ ...storeOptions, file: join(dir, 'events.db') });
  const bus = createBus({ store, sessionId: 'test-session' });
  let server: CorralServer;
  try {
    server = await createServer({
      bus,
      store,
      host: '127.0.0.1',
      port: 0,
      path: '/events',
      token: TOKEN,
      auth: 'local',
      allowedOrigins: [],
      maxPayload: 1024 * 1024,
      rateLimit: { rate: 10_000, burst: 20_000 },
      heartbeatMs: 30_000,
      history: 100,
      controller: null,
      heartbeat: () => ({}),
      ...overrides,
    });
  } catch (err) {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | null = null;
  const ts: TestServer = {
    server,
    bus,
    store,
    dir,
    wsUrl: (query = '') => `ws://127.0.0.1:${server.port}/events${query}`,
    close() {
      openServers.delete(ts);
      // Closed by the test and again by useTestServer: once.
      closing ??= (async () => {
        await server.close();
        await store.flush();
        store.close();
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
  openServers.add(ts);
  return ts;
}

export interface Message {
  type: string;
  data: any;
  metadata?: any;
}

/** A WebSocket client that records every message and lets a test wait for one. */
export interface TestClient {
  ws: WebSocket;
  messages: Message[];
  /** Events received so far (batches flattened), initial excluded. */
  events(): any[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor(pred: (m: Message) => boolean, what: string, timeoutMs?: number): Promise<Message>;
  send(obj: unknown): void;
  close(): void;
}

/** A client of the test server; closed after the test by `useTestServer` (or by `close()`). */
export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const messages: Message[] = [];
    const waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
    const eventCount: any[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as Message;
      messages.push(m);
      if (m.type === 'event') {
        if (Array.isArray(m.data)) for (const e of m.data) eventCount.push(e);
        else eventCount.push(m.data);
      }
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      const client: TestClient = {
        ws,
        messages,
        events: () => eventCount,
        closed,
        waitFor(pred, what, timeoutMs = 20_000) {
          const found = messages.find(pred);
          if (found) return Promise.resolve(found);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}; got ${messages.length} messages: ${JSON.stringify(messages.slice(-3)).slice(0, 800)}`)), timeoutMs);
            waiters.push({
              pred,
              resolve: (m) => {
                clearTimeout(timer);
                res(m);
              },
            });
          });
        },
        send: (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)),
        close() {
          openClients.delete(client);
          ws.terminate();
        },
      };
      openClients.add(client);
      resolve(client);
    });
  });
}

/** Connects and waits for the client's `initial` message. */
export async function connectReady(url: string): Promise<TestClient> {
  const c = await connect(url);
  await c.waitFor((m) => m.type === 'initial', 'initial');
  return c;
}

/** One HTTP request; resolves with status, headers and the parsed (or raw) body. */
export async function http(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export function hookEvent(i: number, extra: Record<string, unknown> = {}) {
  return {
    source: 'test',
    source_app: 'test',
    session_id: 's1',
    event_type: 'PreToolUse',
    hook_event_type: 'PreToolUse',
    payload: { tool_name: 'Bash', tool_input: { command: `echo ${i}` }, i },
    ...extra,
  };
}
