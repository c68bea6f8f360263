import { request } from 'node:http';

/**
 * Says who holds a port that corral could not bind, for the EADDRINUSE
 * message: another corral (its /health says so), the Claude Code
 * observability server (its banner), or another program.
 */
export function describePortOwner(host: string, port: number, timeoutMs = 1500): Promise<string> {
  const target = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return new Promise((resolve) => {
    let settled = false;
    const done = (s: string) => {
      if (!settled) {
        settled = true;
        resolve(s);
      }
    };
    const req = request({ host: target, port, path: '/health', method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size < 65_536) chunks.push(c);
      });
      res.on('end', () => done(classify(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', () => done('another program (it answers HTTP)'));
    });
    req.on('timeout', () => {
      req.destroy();
      done('another program (it accepts connections but does not answer HTTP)');
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done('another program (it refused a connection, maybe on another address)');
      else done('another program (it does not speak HTTP)');
    });
    req.end();
  });
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
