import { hostname } from 'node:os';
import { z } from 'zod';
import { Duration, Size } from './units.js';

/** A host name is one NATS subject token and a durable consumer's name: letters, digits, _ and -. */
export const FEDERATION_HOST_RE = /^[A-Za-z0-9_-]+$/;
const TOKEN_RE = /^[A-Za-z0-9_-]+$/;

/** This machine's name as a host token: the first label of the hostname, other characters made `-`. */
export function defaultFederationHost(): string {
  const name = hostname().split('.')[0] ?? '';
  const token = name.replace(/[^A-Za-z0-9_-]/g, '-');
  return token === '' ? 'host' : token;
}

const natsUrl = z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$|^[^\s:/]+(:\d+)?$/, 'expected a NATS URL such as nats://127.0.0.1:4222');

/**
 * `federation:` (docs/federation.md): the NATS servers, this daemon's host
 * name, the JetStream stream and its retention, the store-and-forward bound
 * and the credentials. Relative file paths are the config directory's.
 */
export const FederationSchema = z
  .strictObject({
    nats: z.union([natsUrl, z.array(natsUrl).min(1)]).describe('NATS server URL, or a list of the URLs of a cluster'),
    host: z.string().regex(FEDERATION_HOST_RE, 'host names use letters, digits, _ and - (it is a NATS subject token)').max(64).optional().describe("this daemon's host name (default: the machine's hostname, its first label)"),
    stream: z.string().regex(TOKEN_RE, 'stream names use letters, digits, _ and -').default('CORRAL'),
    subject_prefix: z.string().regex(TOKEN_RE, 'the subject prefix is one token: letters, digits, _ and -').default('corral'),
    max_age: Duration.prefault('24h').describe('the stream keeps events this long'),
    max_bytes: Size.prefault('1GiB').describe('the stream keeps at most this many bytes'),
    replicas: z.number().int().min(1).max(5).default(1).describe('copies of the stream and the hosts bucket in a NATS cluster (3 on a three-node cluster)'),
    backlog: z.number().int().positive().default(100_000).describe('most events kept to forward while NATS is unreachable'),
    ping_interval: Duration.prefault('10s')
      .refine((ms) => ms >= 100, 'the ping interval is at least 100ms')
      .describe('how often the daemon pings its NATS server; two pings unanswered and the connection is stale (a frozen server or a silent network) and is replaced'),
    creds: z.string().min(1).optional().describe('a NATS credentials file (JWT and seed)'),
    nkey: z.string().min(1).optional().describe('a file holding an nkey seed'),
    user: z.string().min(1).optional(),
    password: z.string().optional(),
  })
  .superRefine((f, ctx) => {
    const ways = [f.creds !== undefined && 'creds', f.nkey !== undefined && 'nkey', f.user !== undefined && 'user'].filter(Boolean);
    if (ways.length > 1) ctx.addIssue({ code: 'custom', path: [], message: `choose one of creds, nkey and user/password (got ${ways.join(', ')})` });
    if (f.password !== undefined && f.user === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'password needs user' });
  })
  // The default host is the machine's: resolved here, so the JSON Schema does not carry this machine's name.
  .transform((f) => ({ ...f, host: f.host ?? defaultFederationHost() }))
  .optional();
export type FederationConfig = NonNullable<z.infer<typeof FederationSchema>>;
