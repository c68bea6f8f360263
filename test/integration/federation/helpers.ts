import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cli, killMarked, project, ps, repo } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { afterEach } from 'vitest';
import { stopAllNatsServers, type NatsServer } from '../../helpers/nats-server.js';

/**
 * Federated corral daemons for the tests in this directory: each a real
 * detached daemon (`corral up -d`, the built CLI) in its own temp project,
 * with a `federation:` section naming its host and the NATS servers, so two
 * of them on one machine each think they are their own host.
 */

export interface FederationState {
  state: 'off' | 'connecting' | 'connected' | 'disconnected';
  host: string;
  servers: string[] | string;
  backlog: number;
  last_error?: string | null;
}

export interface StoredEvent {
  id: string;
  event_type: string;
  source: string;
  host?: string;
  timestamp: string;
  payload: Record<string, unknown>;
}

export interface HostOptions {
  host: string;
  /** NATS URL(s) for `federation.nats`. */
  nats: string | string[];
  /** More `federation:` keys, as YAML flow entries (`backlog: 10, replicas: 3`). */
  federation?: string;
  /** Marker put in the components' env, for `killMarked`. */
  marker: string;
  /** Where the cleanup is registered before anything can fail. */
  cleanups: Array<() => Promise<void> | void>;
}

const idle = `["node", "-e", "setInterval(() => {}, 1000)"]`;

/** The config of one host: one idle component `web`, the bus on a free port, no resource sampling. */
export function hostConfig(o: Omit<HostOptions, 'cleanups'>): string {
  const nats = JSON.stringify(o.nats);
  const more = o.federation ? `, ${o.federation}` : '';
  return `version: 1
bus: { port: 0 }
resources: { enabled: false }
federation: { nats: ${nats}, host: "${o.host}"${more} }
components:
  web:
    command: ${idle}
    ready_after: 0s
    env: { MARK: "${o.marker}" }
`;
}

export type Host = Awaited<ReturnType<typeof startHost>>;

/** Starts a federated daemon (`corral up -d`); fails naming corral's own message when it does not start. */
export async function startHost(o: HostOptions) {
  const p = project(hostConfig(o));
  // Run newest first: `corral down` while NATS and the components still run, then whatever it left (killMarked also ends
  // the test's nats-server, which carries the same marker).
  o.cleanups.push(() => killMarked(o.marker), p.cleanup);
  const up = await cli(['up', '-d'], p.dir);
  if (up.code !== 0) throw new Error(`corral up -d of host ${o.host} failed (exit ${up.code}): ${up.stderr}${up.stdout}`);
  return hostOf(p.dir, o.host);
}

/** What a test uses of a running daemon in `dir` (read again after a restart: the port changes). */
export function hostOf(dir: string, host: string) {
  const info = JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')) as { pid: number; port: number };
  const token = readFileSync(join(dir, '.corral', 'token'), 'utf8').trim();
  const url = `http://127.0.0.1:${info.port}`;
  const auth = { authorization: `Bearer ${token}` };
  return {
    dir,
    host,
    url,
    pid: info.pid,
    cli: (args: string[], env: Record<string, string> = {}) => cli(args, dir, 60_000, env),
    ps: () => ps(dir),
    /** The daemon's log (`.corral/logs/corral.log`). */
    log: () => readFileSync(join(dir, '.corral', 'logs', 'corral.log'), 'utf8'),
    async health(): Promise<Record<string, unknown> & { federation?: FederationState }> {
      const res = await fetch(`${url}/health`, { headers: auth, signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`GET /health of host ${host} answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Record<string, unknown> & { federation?: FederationState };
    },
    /** The stored events matching `query` (GET /events), oldest first, every page. */
    async events(query: Record<string, string>): Promise<StoredEvent[]> {
      const all: StoredEvent[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ ...query, limit: '1000', order: 'asc', ...(cursor ? { cursor } : {}) });
        const res = await fetch(`${url}/events?${q.toString()}`, { headers: auth, signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { events?: StoredEvent[]; next_cursor?: string | null; error?: string };
        if (res.status !== 200 || !body.events) throw new Error(`GET /events?${q.toString()} of host ${host} answered ${res.status}: ${JSON.stringify(body)}`);
        all.push(...body.events);
        cursor = body.next_cursor ?? null;
      } while (cursor);
      return all;
    },
    /** POST /events: resolves with the ids once the daemon answered 202 (stored: acknowledged). */
    async post(events: unknown[]): Promise<string[]> {
      const res = await fetch(`${url}/events`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(events), signal: AbortSignal.timeout(10_000) });
      const body = (await res.json()) as { ids?: string[] };
      if (res.status !== 202 || !body.ids) throw new Error(`POST /events to host ${host} answered ${res.status}: ${JSON.stringify(body)}`);
      return body.ids;
    },
  };
}

/** A test event: type `fed.test`, `payload: {from, i, run}`. */
export const testEvent = (from: string, i: number, run: string) => ({ source: 'fed-test', session_id: run, event_type: 'fed.test', payload: { from, i, run } });

/** Posts `n` test events one request each (one after another, so their order is the order they were acknowledged); resolves with their ids. */
export async function postSeries(h: Host, from: string, first: number, n: number, run: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = first; i < first + n; i++) ids.push(...(await h.post([testEvent(from, i, run)])));
  return ids;
}

/** Waits until `h` holds `want` test events of this run from host `from` (filtered with `?host=`), and returns them, oldest first. */
export function waitForEventsFrom(h: Host, from: string, run: string, want: number, timeoutMs = 45_000): Promise<StoredEvent[]> {
  return waitFor(
    `host ${h.host} to hold ${want} fed.test events from host ${from}`,
    () => h.events({ host: from, event_type: 'fed.test', session_id: run }),
    (list) => list.length >= want,
    { timeoutMs, everyMs: 100, detail: () => `${h.host}'s log: ${tail(h.log())}` },
  );
}

/** Waits until `h`'s /health says `federation.state` is `state`; returns that federation document. */
export function waitForState(h: Host, state: FederationState['state'], timeoutMs = 45_000): Promise<FederationState> {
  return waitFor(
    `host ${h.host}'s /health to say federation.state "${state}"`,
    async () => (await h.health()).federation,
    (f) => f?.state === state,
    { timeoutMs, everyMs: 100, detail: () => `${h.host}'s log: ${tail(h.log())}` },
  ).then((f) => f!);
}

const tail = (text: string) => text.slice(-1500);

/** The payload numbers (`i`) of test events, in the order given. */
export const numbers = (list: StoredEvent[]) => list.map((e) => e.payload.i as number);

/** 0..n-1 shifted by `first`. */
export const range = (first: number, n: number) => Array.from({ length: n }, (_, k) => first + k);

/**
 * The NATS servers among `servers` that process `pid` holds an established TCP
 * connection to (read from /proc: its socket inodes, then /proc/net/tcp).
 */
export function natsServersOf(pid: number, servers: NatsServer[]): NatsServer[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {} // closed meanwhile
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (cols.length < 10 || cols[3] !== '01' || !inodes.has(cols[9]!)) continue;
      ports.add(parseInt(cols[2]!.split(':')[1]!, 16));
    }
  }
  return servers.filter((s) => ports.has(s.port));
}

/** The `conf` block of docs/federation.md with the accounts, and the same block with host `laptop` added beside `buildbox`. */
export function documentedAccounts(): string {
  const page = readFileSync(join(repo, 'docs', 'federation.md'), 'utf8');
  const block = [...page.matchAll(/^```conf\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => b.includes('accounts {'));
  if (!block) throw new Error('docs/federation.md has no ```conf block with an accounts section');
  const perms = /^buildbox_perms = \{[\s\S]*?^\}$/m.exec(block)?.[0];
  const user = /^ *\{ user: corral-buildbox,.*$/m.exec(block)?.[0];
  if (!perms || !user) throw new Error('docs/federation.md: the accounts block lost buildbox_perms or the corral-buildbox user');
  return block
    .replace(perms, `${perms}\n${perms.replace(/buildbox/g, 'laptop')}`)
    .replace(user, `${user}\n${user.replace(/buildbox/g, 'laptop').replace(/BUILDBOX/g, 'LAPTOP')}`)
    .replace(/^listen: .*$/m, '') // the helper gives address and port
    .replace(/^jetstream \{.*\}$/m, ''); // and -js -sd
}

/**
 * Registers the file's afterEach: what its tests pushed onto the returned list
 * runs newest first, then every nats-server still running is stopped.
 */
export function useFederationCleanups(): Array<() => Promise<void> | void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await stopAllNatsServers();
  }, 120_000);
  return cleanups;
}
