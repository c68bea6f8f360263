import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type IPty } from 'node-pty';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, strip, type FakeDaemon } from './daemon-fixture.js';
import { waitFor } from '../../helpers/wait-for.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// `corral monitor` runs as its own process from the build (test/helpers/global-setup.ts builds it when stale).

let d: FakeDaemon | null = null;
let term: IPty | null = null;

afterEach(async () => {
  if (term) {
    try {
      process.kill(term.pid, 'SIGKILL');
    } catch {}
    term = null;
  }
  await d?.close();
  d = null;
});

describe('corral monitor in a real terminal', () => {
  it('takes the alternate screen, filters at the prompt, follows a resize, and restores the terminal on Ctrl-C', async () => {
    d = await startDaemon();
    d.publish('example.tick', { n: 1 }, 'ticker');
    term = spawn(process.execPath, [join(root, 'bin', 'corral.js'), 'monitor', '-c', d.config], {
      cols: 100,
      rows: 30,
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' } as Record<string, string>,
    });
    let raw = '';
    term.onData((data) => (raw += data));
    const exited = new Promise<number>((resolve) => term!.onExit(({ exitCode }) => resolve(exitCode)));

    await waitFor('the first frame', () => strip(raw).includes('corral monitor') && /web\s+running/.test(strip(raw)) && strip(raw).includes('example.tick'));
    expect(raw.startsWith('\x1b[?1049h')).toBe(true);

    term.write('type component.*\r');
    await waitFor('the filter on the title line', () => strip(raw).includes('filter: type=component.*'));

    const before = raw.length;
    term.resize(60, 20);
    // A redraw at the new size leaves the cursor on the prompt, now row 20.
    // eslint-disable-next-line no-control-regex
    await waitFor('a redraw after the resize', () => /\x1b\[20;\d+H\x1b\[\?25h/.test(raw.slice(before)));

    term.write('\x03');
    expect(await exited).toBe(0);
    expect(raw).toContain('\x1b[?25h\x1b[?1049l');
    term = null;
  });
});
