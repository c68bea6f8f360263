import { createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readDaemonInfo } from '../../../src/daemon/paths.js';
import { daemonFor, is, type TestDaemon } from './in-process.js';
import { freePort } from '../../helpers/free-port.js';

// config.changed says what a reload applied: a move of the bus to a port that
// is taken is no move (before: `bus: {changed: ['port'], rebind: true}`, then a
// CFG001 saying it was not applied, daemon.json still on the old port).

let d: TestDaemon | null = null;
let squatter: Server | null = null;
const held: Socket[] = [];
/** Closes the program that holds the port, and every connection it accepted (corral's look at who it is). */
async function freeThePort(): Promise<void> {
  const s = squatter;
  squatter = null;
  for (const c of held.splice(0)) c.destroy();
  await new Promise<void>((r) => (s ? s.close(() => r()) : r()));
}
afterEach(async () => {
  await d?.close();
  d = null;
  await freeThePort();
});

const config = (port: number, extra = '') => `version: 1\nbus: { port: ${port} }\nresources: { enabled: false }\n${extra}components: {}\n`;

describe('config.changed describes what was applied', () => {
  it('a move to a taken port: rebind false, port listed as not applied with the reason; daemon.json and the server keep the old port', { timeout: 60_000 }, async () => {
    const [from, to] = [await freePort(), await freePort()];
    d = await daemonFor(config(from));
    squatter = createServer((c) => void held.push(c));
    await new Promise<void>((r) => squatter!.listen(to, '127.0.0.1', () => r()));

    writeFileSync(d.config, config(to, 'logs: { max_files: 4 }\n'));
    const r = await d.daemon.controller.reload();
    expect(r.ok).toBe(false);
    const changed = await d.waitFor('config.changed', is('config.changed'));
    const payload = changed.event.payload as { bus?: { changed: string[]; rebind: boolean; not_applied?: string[]; error?: string }; settings: string[] };
    expect(payload.bus).toMatchObject({ changed: [], rebind: false, not_applied: ['port'] });
    expect(payload.bus?.error).toContain(`port ${to}`);
    // What else the save changed was applied, and is named.
    expect(payload.settings).toEqual(['logs']);
    const cfg001 = await d.waitFor('CFG001', is('error.CFG001'));
    expect(cfg001.seq).toBeGreaterThan(changed.seq);
    expect(d.daemon.server.port).toBe(from);
    expect(readDaemonInfo(d.daemon.stateDir)?.port).toBe(from);

    // Once the port is free, saving the same file again moves the bus, and config.changed says so.
    await freeThePort();
    const again = await d.daemon.controller.reload();
    expect(again.ok, again.message).toBe(true);
    const moved = await d.waitFor('the second config.changed', (e) => e.seq > changed.seq && e.event.event_type === 'config.changed');
    expect((moved.event.payload as { bus?: unknown }).bus).toEqual({ changed: ['port'], rebind: true });
    expect(readDaemonInfo(d.daemon.stateDir)?.port).toBe(to);
  });
});
