import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, project } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// Every file corral keeps in its state directory may hold prompts, tool
// output or the token: 0600 always, whatever the directory's mode and the
// umask (before: events.db and its -wal/-shm were 0644 in an existing 0755
// state_dir), and files an older corral left readable are made 0600.

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);

describe('state files are 0600', () => {
  it('in an existing 0755 state_dir, with files an older run left 0644', { timeout: 90_000 }, async () => {
    const p = project('version: 1\nstate_dir: state\nbus: { port: 0 }\nresources: { enabled: false }\ncomponents:\n  a:\n    command: ["sh", "-c", "echo hello; sleep 300"]\n');
    cleanup = p.cleanup;
    const state = join(p.dir, 'state');
    mkdirSync(join(state, 'logs'), { recursive: true });
    chmodSync(state, 0o755);
    writeFileSync(join(state, 'logs', 'corral.log'), 'an old line\n', { mode: 0o644 });
    chmodSync(join(state, 'logs', 'corral.log'), 0o644);

    const up = await cli(['up', '-d'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    const emit = await cli(['emit', 'test.mode', '--payload', '{"n":1}'], p.dir);
    expect(emit.code, emit.stderr).toBe(0);
    await waitFor('a.log', () => readdirSync(join(state, 'logs')), (f) => f.includes('a.log'));

    const files = ['events.db', 'events.db-wal', 'events.db-shm', 'token', 'daemon.json', 'logs/corral.log', 'logs/a.log'];
    expect(Object.fromEntries(files.map((f) => [f, mode(join(state, f))]))).toEqual(Object.fromEntries(files.map((f) => [f, '600'])));
    const down = await cli(['down'], p.dir);
    expect(down.code, down.stderr).toBe(0);
  });
});
