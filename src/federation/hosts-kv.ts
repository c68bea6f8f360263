import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ComponentInfo } from '../supervisor/types.js';
import type { Logger } from '../plugins/types.js';

/** One host's component table as it was last published. */
export interface HostTable {
  host: string;
  /** When the table was published (Unix ms). */
  at: number;
  /** What `corral ps --json` shows on that host (no `attach`: its socket paths are that machine's). */
  components: ComponentInfo[];
}

/** A host's table with its age, as GET /federation/hosts answers. */
export type HostTableView = HostTable & { age_ms: number; self: boolean };

const REFRESH_MS = 30_000;
const MIN_GAP_MS = 500;

/**
 * Publishes this host's component table to the KV bucket (key = host) on
 * every change, at most twice a second, and every 30 s; reads every host's.
 */
export function createHostsTable(o: { host: string; bucket: string; replicas: number; list: () => ComponentInfo[]; logger: Logger }) {
  let kv: KV | null = null;
  let timer: NodeJS.Timeout | null = null;
  let refresh: NodeJS.Timeout | null = null;
  let lastPut = 0;

  const table = (): HostTable => ({ host: o.host, at: Date.now(), components: o.list().map(({ attach: _attach, ...c }) => c) });

  async function put(): Promise<void> {
    const bucket = kv;
    if (!bucket) return;
    lastPut = Date.now();
    try {
      await bucket.put(o.host, JSON.stringify(table()));
    } catch (err) {
      o.logger.warn(`federation: publishing the component table failed: ${(err as Error).message}`);
    }
  }

  return {
    async attach(nc: NatsConnection): Promise<void> {
      kv = await new Kvm(nc).create(o.bucket, { history: 1, replicas: o.replicas });
      await put();
      if (!refresh) {
        refresh = setInterval(() => void put(), REFRESH_MS);
        refresh.unref();
      }
    },
    detach(): void {
      kv = null;
      if (timer) clearTimeout(timer);
      if (refresh) clearInterval(refresh);
      timer = refresh = null;
    },
    /** A component changed: publish soon (changes in a burst are one put). */
    changed(): void {
      if (!kv || timer) return;
      timer = setTimeout(
        () => {
          timer = null;
          void put();
        },
        Math.max(0, lastPut + MIN_GAP_MS - Date.now()),
      );
      timer.unref();
    },
    /** Every host's last table (this host's as it is now); without NATS, this host's alone. */
    async read(): Promise<HostTableView[]> {
      const now = Date.now();
      const own: HostTableView = { ...table(), age_ms: 0, self: true };
      const out: HostTableView[] = [own];
      const bucket = kv;
      if (!bucket) return out;
      const keys: string[] = [];
      for await (const k of await bucket.keys()) keys.push(k);
      for (const key of keys.sort()) {
        if (key === o.host) continue;
        const entry = await bucket.get(key);
        if (!entry || entry.operation !== 'PUT') continue;
        try {
          const t = entry.json<HostTable>();
          out.push({ host: key, at: t.at, components: Array.isArray(t.components) ? t.components : [], age_ms: Math.max(0, now - t.at), self: false });
        } catch {
          o.logger.warn(`federation: the component table of ${key} is not JSON`);
        }
      }
      return out;
    },
  };
}
export type HostsTable = ReturnType<typeof createHostsTable>;
