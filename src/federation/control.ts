import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { ComponentInfo, Controller } from '../supervisor/types.js';
import type { Logger } from '../plugins/types.js';
import { CorralError, httpStatusOf } from '../errors.js';
import { controlSubject } from './subjects.js';

/** The operations `NAME@HOST` may ask of another host. */
export const REMOTE_OPS = ['start', 'stop', 'restart'] as const;
export type RemoteOp = (typeof REMOTE_OPS)[number];

/** The answer of a host's daemon to one request. */
export interface RemoteReply {
  ok: boolean;
  /** The component after the operation. */
  pid?: number | null;
  state?: string;
  error?: string;
  /** 404: no such component on that host; 409: disabled there. */
  status?: number;
}

const asOp = (v: unknown): RemoteOp | null => ((REMOTE_OPS as readonly unknown[]).includes(v) ? (v as RemoteOp) : null);

/** Runs one request on this host's controller and says how it went. */
async function answer(controller: Controller, data: unknown): Promise<RemoteReply> {
  const req = (data ?? {}) as { op?: unknown; name?: unknown };
  const op = asOp(req.op);
  if (!op || typeof req.name !== 'string' || req.name === '') return { ok: false, status: 400, error: `expected {op: start|stop|restart, name}, got ${JSON.stringify(data).slice(0, 200)}` };
  const name = req.name;
  try {
    await controller[op](name);
  } catch (err) {
    return { ok: false, error: (err as Error).message, ...(err instanceof CorralError ? { status: httpStatusOf(err) } : {}) };
  }
  const info: ComponentInfo | undefined = controller.list().find((c) => c.name === name);
  return { ok: true, pid: info?.pid ?? null, ...(info ? { state: info.state } : {}) };
}

/**
 * Serves this host's control subject: another host's daemon asks, this one
 * runs the operation and replies. Who may ask is NATS's to decide (the
 * permissions of the account: docs/federation.md).
 */
export function serveControl(nc: NatsConnection, prefix: string, host: string, controller: () => Controller | null, logger: Logger): Subscription {
  return nc.subscribe(controlSubject(prefix, host), {
    callback: (err, msg) => {
      if (err) return void logger.warn(`federation: control subscription: ${err.message}`);
      let data: unknown;
      try {
        data = msg.json();
      } catch {
        data = null;
      }
      const c = controller();
      const reply = c ? answer(c, data) : Promise.resolve<RemoteReply>({ ok: false, status: 503, error: 'the daemon is starting' });
      void reply.then((r) => {
        if (!r.ok) logger.warn(`federation: a remote ${JSON.stringify(data).slice(0, 120)} failed: ${r.error}`);
        else logger.info(`federation: ran a remote ${(data as { op: string }).op} of ${(data as { name: string }).name}`);
        msg.respond(JSON.stringify(r));
      });
    },
  });
}
