import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAEMON_V8_FLAGS } from '../../../src/cli/up.js';
import { cli, fixtures, project } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('adaptive JIT on a log flood', () => {
  it('a component flooding its stdout turns the daemon’s compilers on, with nothing on the bus', async () => {
    const p = project(`version: 1
bus: { port: 0 }
components:
  flood:
    command: ["${process.execPath}", "${join(fixtures, 'flood.js')}"]
    env: { FLOOD_SECONDS: "60" }
    logs: { max_size: 20MB, max_files: 1 }
`);
    cleanups.push(p.cleanup);
    // The daemon as \`up -d\` starts it: with DAEMON_V8_FLAGS, compilers off.
    const up = await cli(['up', '-d', '-c', p.config], p.dir, 60_000, { CORRAL_DAEMON_FLAGS: DAEMON_V8_FLAGS.join(' ') });
    expect(up.code, up.stderr).toBe(0);
    const daemonLog = join(p.dir, '.corral', 'logs', 'corral.log');
    const log = await waitFor(
      'the daemon to say its compilers are on',
      () => (existsSync(daemonLog) ? readFileSync(daemonLog, 'utf8') : ''),
      (text) => text.includes("V8's compilers are on"),
      30_000,
    );
    expect(log).toMatch(/the logs are busy \([\d.]+ MB\/s of output\): V8's compilers are on for the rest of this run \(--sparkplug --turbofan\)/);
  });
});
