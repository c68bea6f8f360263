import { request } from 'node:http';

/** What `GET /health` at an address answered: the status and body, or why there was no answer. */
export type HealthAnswer = { status: number; body: string } | { error: 'timeout' | 'refused' | 'not-http' | 'broken' };

/** One `GET /health` with a deadline; the body is kept up to 64 KiB. Never rejects. */
export function readHealth(url: URL, timeoutMs: number): Promise<HealthAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: HealthAnswer) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(a);
      }
    };
    // A deadline for the whole exchange, not only an idle socket: callers such as `corral hook` have a budget.
    const timer = setTimeout(() => {
      req.destroy();
      done({ error: 'timeout' });
    }, timeoutMs);
    const req = request(new URL('/health', url), { method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size < 65_536) chunks.push(c);
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => done({ error: 'broken' }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code === 'ECONNREFUSED' ? 'refused' : 'not-http' }));
    req.end();
  });
}

/** True when `body` is a corral daemon's /health document. */
export function isCorralHealth(body: string): boolean {
  try {
    return (JSON.parse(body) as { service?: unknown } | null)?.service === 'corral';
  } catch {
    return false;
  }
}

/**
 * Says who holds a port that corral could not bind, for the EADDRINUSE
 * message: another corral (its /health says so), the Claude Code
 * observability server (its banner), or another program.
 */
export async function describePortOwner(host: string, port: number, timeoutMs = 1500): Promise<string> {
  const target = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  const answer = await readHealth(new URL(`http://${target.includes(':') ? `[${target}]` : target}:${port}`), timeoutMs);
  if ('status' in answer) return classify(answer.status, answer.body);
  switch (answer.error) {
    case 'broken':
      return 'another program (it answers HTTP)';
    case 'timeout':
      return 'another program (it accepts connections but does not answer HTTP)';
    case 'refused':
      return 'another program (it refused a connection, maybe on another address)';
    default:
      return 'another program (it does not speak HTTP)';
  }
}

function classify(status: number, body: string): string {
  try {
    const doc = JSON.parse(body) as { service?: string; pid?: number; version?: string };
    if (doc && doc.service === 'corral') {
      return `another corral daemon${doc.pid ? ` (pid ${doc.pid}` : ''}${doc.version ? `${doc.pid ? ', ' : ' ('}version ${doc.version}` : ''}${doc.pid || doc.version ? ')' : ''}`;
    }
  } catch {}
  // The observability server answers every unknown path with its banner.
  if (body.includes('Multi-Agent Observability')) return 'the Claude Code multi-agent observability server (disler/claude-code-hooks-multi-agent-observability)';
  return `another program (it answers HTTP ${status} on /health)`;
}
