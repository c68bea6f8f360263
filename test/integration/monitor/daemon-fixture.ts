import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBus } from '../../../src/bus/bus.js';
import type { Bus } from '../../../src/bus/types.js';
import { createServer, type CorralServer } from '../../../src/server/index.js';
import type { ComponentInfo, Controller } from '../../../src/supervisor/types.js';

const TOKEN = 'test-token-0123456789';

export function info(name: string, over: Partial<ComponentInfo> = {}): ComponentInfo {
  return {
    name,
    plugin: 'process',
    state: 'running',
    pid: 1234,
    generation: 1,
    uptime_ms: 5000,
    ready_after_ms: 1000,
    restarts: 0,
    health: 'healthy',
    reason: null,
    cpu_percent: 1.5,
    memory_mb: 42.25,
    next_restart_in_ms: null,
    last_exit: null,
    exits: 0,
    depends_on: {},
    ...over,
  };
}

const controller: Controller = {
  list: () => [info('web'), info('flaky', { state: 'backoff', restarts: 3, health: null, cpu_percent: null, memory_mb: null, pid: null })],
  statuses: () => ({ web: 'healthy', flaky: 'starting' }),
  start: async () => {},
  stop: async () => {},
  restart: async () => {},
  reload: async () => ({ ok: true, message: '' }),
  shutdown: async () => {},
};

/** A daemon as the CLI finds it: a config, its state directory (daemon.json, token) and a real server on port 0 with a fixed component list. */
export interface FakeDaemon {
  dir: string;
  config: string;
  bus: Bus;
  server: CorralServer;
  publish(type: string, payload: Record<string, unknown>, source?: string, session?: string): void;
  close(): Promise<void>;
}

export async function startDaemon(): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-monitor-'));
  const bus = createBus();
  const server = await createServer({
    bus,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    auth: 'local',
    allowedOrigins: [],
    maxPayload: 1024 * 1024,
    rateLimit: { rate: 1000, burst: 1000 },
    heartbeatMs: 30_000,
    history: 100,
    controller,
    heartbeat: () => controller.statuses(),
  });
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, 'version: 1\ncomponents: {}\n');
  mkdirSync(join(dir, '.corral'));
  writeFileSync(join(dir, '.corral', 'daemon.json'), JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: server.port, started_at: Date.now(), version: 'test', config }));
  writeFileSync(join(dir, '.corral', 'token'), TOKEN, { mode: 0o600 });
  return {
    dir,
    config,
    bus,
    server,
    publish(type, payload, source = 'corral', session = 'sess-1') {
      const r = bus.publish({ source, session_id: session, event_type: type, payload });
      if (!r.ok) throw new Error(String(r.error.message));
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// eslint-disable-next-line no-control-regex
export const strip = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
