import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { exitOf, waitFor } from './wait-for.js';

/**
 * A real `nats-server -js` for a test (Debian's package; .ci/run installs it):
 * on loopback, on free ports, with its own JetStream store directory, started
 * and waited for by probing its monitoring port (`/healthz`), stopped or
 * killed by its pid, restarted on the same ports and store. Three of them make
 * a cluster on loopback (`startNatsCluster`). Every server this module starts
 * is ended by `stopAllNatsServers()` (call it in `afterEach`), and carries
 * `MARK=<marker>` in its environment so `killMarked(marker)` finds it too.
 */

export const NATS_SERVER = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';

/** Subjects a user may use: a list (allowed) or allow/deny lists, as in nats-server's config. */
export type SubjectRule = string[] | { allow?: string[]; deny?: string[] };

export interface NatsUser {
  user: string;
  password: string;
  permissions?: { publish?: SubjectRule; subscribe?: SubjectRule; allow_responses?: boolean };
}

export interface NatsServerOptions {
  /** JetStream store (`-sd`); a new temp dir, removed by `cleanup()`, when absent. */
  storeDir?: string;
  /** Client port; a free one when absent. */
  port?: number;
  /** Monitoring port (`-m`), probed for readiness; a free one when absent. */
  monitorPort?: number;
  /** `--server_name` (needed in a cluster). */
  name?: string;
  /** Cluster mode: this node's route port, the other nodes' route ports, the cluster's name. */
  cluster?: { name: string; port: number; routes: number[] };
  /** Users with passwords (and permissions), written to a config file given with `-c`. */
  users?: NatsUser[];
  /** More config file text (after `users`), e.g. an `include` or limits. */
  config?: string;
  /** Environment for the server (a config file may read `$VAR`s from it). */
  env?: Record<string, string>;
  /** Put in the server's environment as MARK, for `killMarked`. */
  marker?: string;
  /** What readiness means: `jetstream` (default) = JetStream is enabled; `healthy` = `/healthz` with no option (in a cluster: a JetStream meta leader is known). */
  ready?: 'jetstream' | 'healthy';
  /** Readiness timeout (default 20 s). */
  timeoutMs?: number;
}

const LOG_KEEP = 64 * 1024;
const live = new Set<NatsServer>();

/** One nats-server process (and what it needs to start again the same way). */
export class NatsServer {
  child: ChildProcess | null = null;
  private output = '';
  private ownStore = false;
  private configFile: string | null = null;

  private constructor(
    readonly port: number,
    readonly monitorPort: number,
    readonly storeDir: string,
    private readonly opts: NatsServerOptions,
  ) {}

  /** Starts a server and waits until it answers `/healthz` (JetStream enabled). */
  static async start(opts: NatsServerOptions = {}): Promise<NatsServer> {
    const storeDir = opts.storeDir ?? mkdtempSync(join(tmpdir(), 'corral-nats-'));
    const server = new NatsServer(opts.port ?? (await freePort()), opts.monitorPort ?? (await freePort()), storeDir, opts);
    server.ownStore = opts.storeDir === undefined;
    if (opts.users || opts.config) {
      server.configFile = join(storeDir, 'nats-test.conf');
      writeFileSync(server.configFile, natsConfig(opts.users ?? [], opts.config ?? ''));
    }
    live.add(server);
    await server.launch();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get name(): string {
    return this.opts.name ?? `nats-${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server's log (the last 64 KiB of its stderr and stdout). */
  log(): string {
    return this.output;
  }

  /** The command line, as run (for messages). */
  args(): string[] {
    const a = ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-m', String(this.monitorPort), '-sd', this.storeDir, '--server_name', this.name];
    if (this.configFile) a.unshift('-c', this.configFile);
    const c = this.opts.cluster;
    if (c) {
      a.push('--cluster', `nats://127.0.0.1:${c.port}`, '--cluster_name', c.name);
      if (c.routes.length > 0) a.push('--routes', c.routes.map((p) => `nats://127.0.0.1:${p}`).join(','));
    }
    return a;
  }

  private async launch(): Promise<void> {
    if (this.running) throw new Error(`nats-server ${this.name} is already running (pid ${this.pid})`);
    this.output = '';
    const env = { ...process.env, ...this.opts.env, ...(this.opts.marker ? { MARK: this.opts.marker } : {}) };
    const child = spawn(NATS_SERVER, this.args(), { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-LOG_KEEP);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const spawnFailure: { error: Error | null } = { error: null };
    child.once('error', (e) => (spawnFailure.error = e));
    const query = this.opts.ready === 'healthy' ? '' : '?js-enabled-only=true';
    await waitFor(
      `nats-server ${this.name} (${NATS_SERVER} ${this.args().join(' ')}) to answer /healthz${query}`,
      async () => {
        if (spawnFailure.error) throw new Error(`nats-server ${this.name} could not start: ${String(spawnFailure.error)}`);
        if (!this.running) throw new Error(`nats-server ${this.name} exited (${child.exitCode ?? child.signalCode}) before it was ready; its log:\n${this.output}`);
        return this.healthy(query);
      },
      { timeoutMs: this.opts.timeoutMs ?? 20_000, everyMs: 20, detail: () => this.output.slice(-2000) },
    );
  }

  /** True when the monitoring port answers `/healthz` (with `query`) with status ok. */
  async healthy(query = ''): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.monitorPort}/healthz${query}`, { signal: AbortSignal.timeout(2000) });
      return res.ok && ((await res.json()) as { status?: string }).status === 'ok';
    } catch {
      return false;
    }
  }

  /** A monitoring endpoint's JSON (`varz`, `connz`, `routez`, `jsz`...). */
  async monitor<T = Record<string, unknown>>(endpoint: string): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/${endpoint}`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`nats-server ${this.name}: GET /${endpoint} answered ${res.status}`);
    return (await res.json()) as T;
  }

  /** Ends the server gracefully (SIGTERM), by its pid; SIGKILL when it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    try {
      await exitOf(child, timeoutMs);
    } catch {
      child.kill('SIGKILL');
      await exitOf(child, 10_000);
    }
  }

  /** Kills the server at once (SIGKILL), by its pid, as a crash would. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await exitOf(child, 10_000);
  }

  /** Starts the server again: same ports, same store dir, same config. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops the server and removes the store dir when this helper made it. */
  async cleanup(): Promise<void> {
    await this.stop();
    live.delete(this);
    if (this.ownStore) rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** A nats-server config file: `authorization { users = [...] }` (nats-server reads JSON values), then `extra`. */
export function natsConfig(users: NatsUser[], extra = ''): string {
  const parts: string[] = [];
  if (users.length > 0) parts.push(`authorization: ${JSON.stringify({ users }, null, 2)}`);
  if (extra) parts.push(extra);
  return `${parts.join('\n')}\n`;
}

/** Starts one server (see `NatsServerOptions`). */
export function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  return NatsServer.start(opts);
}

export interface NatsCluster {
  nodes: NatsServer[];
  /** Every node's client URL, for a client that fails over. */
  urls: string[];
  /** Waits until every running node answers `/healthz` with no option (a JetStream meta leader is known) and routes to every other running node. */
  ready(timeoutMs?: number): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts `size` (default 3) JetStream nodes on loopback routed to each other, and waits until the cluster is whole. */
export async function startNatsCluster(opts: { size?: number; name?: string; marker?: string; timeoutMs?: number } = {}): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const name = opts.name ?? `corral-test-${process.pid}-${Date.now().toString(36)}`;
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) routePorts.push(await freePort());
  const nodes: NatsServer[] = [];
  const cluster: NatsCluster = {
    nodes,
    urls: [],
    async ready(timeoutMs = opts.timeoutMs ?? 30_000) {
      const up = nodes.filter((n) => n.running);
      await waitFor(
        `the NATS cluster ${name} (${up.map((n) => n.name).join(', ')}) to be routed and to have a JetStream meta leader`,
        async () => {
          for (const n of up) {
            if (!(await n.healthy())) return false;
            const routes = await n.monitor<{ num_routes?: number }>('routez').catch(() => ({ num_routes: 0 }));
            if ((routes.num_routes ?? 0) < up.length - 1) return false;
          }
          return true;
        },
        { timeoutMs, everyMs: 50, detail: () => up.map((n) => `${n.name}: ${n.log().slice(-600)}`) },
      );
    },
    async cleanup() {
      await Promise.all(nodes.map((n) => n.cleanup()));
    },
  };
  // All nodes start at once: a JetStream cluster elects its meta leader only once enough peers are up.
  const started = await Promise.allSettled(
    routePorts.map((port, i) =>
      NatsServer.start({
        name: `n${i + 1}`,
        cluster: { name, port, routes: routePorts.filter((p) => p !== port) },
        ...(opts.marker ? { marker: opts.marker } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      }),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  try {
    if (failed) throw failed.reason;
    cluster.urls = nodes.map((n) => n.url);
    await cluster.ready();
    return cluster;
  } catch (e) {
    await cluster.cleanup();
    throw e;
  }
}

/** Ends every server this module started and still runs (by pid), and removes the store dirs it made. */
export async function stopAllNatsServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.cleanup()));
}
