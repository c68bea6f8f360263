import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, project, ps } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { freePort } from '../../helpers/free-port.js';

// The daemon is built, then served: nothing answers on its port before the
// reloader, the supervisor and the process-group record exist. A start has
// ever been a daemon that listened first and made those after, replaying the
// spooled hooks in between: a reload that came then got a 500
// (ReferenceError), a start's process group was never recorded.

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

/** Resolves once something accepts connections on the port. */
async function listening(port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Spool files of hooks that arrived while no daemon ran: the daemon replays them as it starts. */
function spool(stateDir: string, files: number, perFile: number): void {
  const dir = join(stateDir, 'spool');
  mkdirSync(dir, { recursive: true });
  const now = Date.now();
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    for (let i = 0; i < perFile; i++) {
      lines.push(JSON.stringify({ hook_event_name: 'PreToolUse', received_at: now - 1000, body: { session_id: `s${f}`, tool_name: 'Bash', tool_input: { command: `echo ${i}` } } }));
    }
    writeFileSync(join(dir, `hooks-2026010${f % 10}-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
}

describe('a daemon is reachable only once it can serve everything', () => {
  it('a reload and a start sent the moment the port opens are served (no 500), and the start is in the process-group record', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const p = project(`version: 1\nbus: { port: ${port} }\nresources: { enabled: false }\ncomponents:\n  a:\n    command: ["sleep", "300"]\n`);
    cleanup = p.cleanup;
    const stateDir = join(p.dir, '.corral');
    // A token made now is the one the daemon keeps (ensureToken keeps an existing one).
    mkdirSync(stateDir, { recursive: true });
    const token = 'a'.repeat(64);
    writeFileSync(join(stateDir, 'token'), `${token}\n`, { mode: 0o600 });
    spool(stateDir, 40, 500);

    const up = cli(['up', '-d'], p.dir);
    await listening(port);
    const post = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const [reload, start] = await Promise.all([post('/api/reload'), post('/api/components/a/start')]);
    const upped = await up;
    expect(upped.code, upped.stderr).toBe(0);

    expect(reload.status, reload.body).toBe(200);
    expect(start.status, start.body).toBe(200);
    const [a] = (await ps(p.dir)).filter((c) => c.name === 'a');
    expect(a?.state).toBe('running');
    const pgid = a!.pid!;
    // Recorded on the next turn after the start: a later daemon can end it if this one dies.
    const groups = await waitFor(
      'the process-group record to hold a',
      () => JSON.parse(readFileSync(join(stateDir, 'groups.json'), 'utf8')) as { name: string; pgid: number }[],
      (g) => g.some((x) => x.name === 'a' && x.pgid === pgid),
      5000,
    ).catch(() => JSON.parse(readFileSync(join(stateDir, 'groups.json'), 'utf8')) as unknown);
    expect(groups).toEqual([expect.objectContaining({ name: 'a', pgid })]);

    const down = await cli(['down'], p.dir);
    expect(down.code, down.stderr).toBe(0);
  });
});
