import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatLine, mergeTails, showLogs } from '../../../src/cli/log-view.js';
import { terminalText } from '../../../src/logs/terminal-text.js';
import { run } from '../../../src/cli/logs.js';
import { waitFor } from '../../helpers/wait-for.js';

let root: string;
let logs: string;

const line = (sec: number, stream: string, text: string) => `2026-01-01T00:00:${String(sec).padStart(2, '0')}.000Z ${stream} ${text}\n`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'corral-cli-logs-'));
  writeFileSync(join(root, 'corral.yaml'), 'version: 1\nstate_dir: ./state # kept here\ncomponents: {}\n');
  logs = join(root, 'state', 'logs');
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(logs, 'web.log'), line(1, 'out', 'web one') + line(3, 'err', 'web three') + line(5, 'out', 'web five'));
  writeFileSync(join(logs, 'db.log'), line(2, 'out', 'db two') + line(4, 'out', 'db four'));
  writeFileSync(join(logs, 'corral.log'), line(2, 'out', 'info [corral] daemon line'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function captureStdout(): { text(): string } {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return { text: () => out };
}

describe('corral logs', () => {
  it('interleaves every component by time, without the daemon log, last n lines', async () => {
    const out = captureStdout();
    expect(await run(['-c', join(root, 'corral.yaml'), '-n', '4'])).toBe(0);
    expect(out.text()).toBe(['db  | db two', 'web | web three', 'db  | db four', 'web | web five', ''].join('\n'));
  });

  it('shows one component, and the daemon log by name, with -t timestamps', async () => {
    const out = captureStdout();
    expect(await run(['web', '-c', join(root, 'corral.yaml'), '-t'])).toBe(0);
    expect(out.text()).toContain('web | 2026-01-01T00:00:01.000Z web one\n');
    expect(out.text()).not.toContain('db');
    expect(await run(['corral', '-c', join(root, 'corral.yaml')])).toBe(0);
    expect(out.text()).toContain('corral | info [corral] daemon line\n');
  });

  it('names the missing component and the ones that have logs', async () => {
    captureStdout();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await run(['nope', '-c', join(root, 'corral.yaml')])).toBe(1);
    expect(String(err.mock.calls[0]![0])).toMatch(/no log for "nope" in .*state\/logs \(logs exist for: corral, db, web\)/);
    expect(await run(['-n', 'many', '-c', join(root, 'corral.yaml')])).toBe(2);
    expect(String(err.mock.calls[1]![0])).toMatch(/-n expects a whole number/);
  });

  it('a component of the config that has printed nothing yet is not an error; an unknown name lists the components', async () => {
    writeFileSync(join(root, 'corral.yaml'), 'version: 1\nstate_dir: ./state\ncomponents:\n  quiet: { command: x }\n  web: { command: x }\n');
    const out = captureStdout();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await run(['quiet', '-c', join(root, 'corral.yaml')])).toBe(0);
    expect(out.text()).toBe('');
    expect(String(err.mock.calls[0]![0])).toMatch(/"quiet" has printed nothing yet/);
    expect(await run(['quiet', 'web', '-c', join(root, 'corral.yaml'), '-n', '1'])).toBe(0);
    expect(out.text()).toMatch(/^web +\| web five\n$/);
    expect(await run(['nope', '-c', join(root, 'corral.yaml')])).toBe(1);
    expect(String(err.mock.calls.at(-1)![0])).toMatch(/the components of .*corral.yaml are: quiet, web/);
  });

  it('for a tmux component, says where its output is (exit 1: nothing to show); other names still show', async () => {
    writeFileSync(
      join(root, 'corral.yaml'),
      'version: 1\nstate_dir: ./state\ncomponents:\n  shell: { plugin: tmux, session: dev, command: bash }\n  top: { plugin: tmux, command: top }\n  web: { command: x }\n',
    );
    const out = captureStdout();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await run(['shell', '-c', join(root, 'corral.yaml')])).toBe(1);
    expect(out.text()).toBe('');
    expect(err.mock.calls.map((c) => String(c[0]))).toEqual([
      'corral logs: "shell" runs in tmux: its output is in its window of tmux session "dev", not in a log; see it with `corral attach shell`\n',
    ]);
    expect(await run(['top', 'web', '-c', join(root, 'corral.yaml'), '-n', '1'])).toBe(0);
    expect(String(err.mock.calls[1]![0])).toMatch(/"top" runs in tmux: .*session "corral".*`corral attach top`/);
    expect(out.text()).toBe('web | web five\n');
  });

  it('follows new lines of every component until stopped', async () => {
    const printed: string[] = [];
    const controller = new AbortController();
    const done = showLogs({
      dir: logs,
      names: [],
      lines: 1,
      follow: true,
      timestamps: false,
      color: false,
      write: (t) => printed.push(t),
      signal: controller.signal,
    });
    expect(printed).toEqual(['web | web five\n']);
    appendFileSync(join(logs, 'db.log'), line(6, 'out', 'db six'));
    appendFileSync(join(logs, 'corral.log'), line(6, 'out', 'hidden'));
    writeFileSync(join(logs, 'cache.log'), line(7, 'err', 'cache seven'));
    await waitFor('two followed lines', () => printed.length === 3);
    controller.abort();
    await done;
    // The name column widens when a longer name appears, so compare without the padding.
    expect(printed.slice(1).map((t) => t.replace(/ +\|/, ' |')).sort()).toEqual(['cache | cache seven\n', 'db | db six\n']);
  });

  it('colours the name and the stderr bar only when asked', () => {
    const l = { time: '2026-01-01T00:00:01.000Z', stream: 'err' as const, text: 'boom' };
    expect(formatLine('web', l, 5, { color: false, timestamps: false })).toBe('web   | boom\n');
    const esc = '\u001b[';
    const colored = formatLine('web', l, 5, { color: true, timestamps: false });
    expect(colored.startsWith(esc)).toBe(true);
    expect(colored.endsWith(`${esc}31m|${esc}0m boom\n`)).toBe(true);
  });

  it("shows a pty component's terminal output as text: no titles, cursor moves or erasing; the last state after a carriage return; colours only when colouring", () => {
    const E = '\u001b';
    const text = `${E}]0;vim - notes${E}\\${E}[?25l${E}[2J${E}[H${E}[1;32mready${E}[0m ${E}(Bdone${E}=\u0007\r`;
    const l = { time: '', stream: 'out' as const, text };
    expect(formatLine('shell', l, 5, { color: false, timestamps: false })).toBe('shell | ready done\n');
    const colored = formatLine('shell', l, 5, { color: true, timestamps: false });
    expect(colored.endsWith(`| ${E}[1;32mready${E}[0m done\n`)).toBe(true);
    // A progress bar redrawn with carriage returns: what the terminal ends up showing.
    const bar = { time: '', stream: 'out' as const, text: 'downloading 10%\rdownloading 50%\rdownloading 100%\r' };
    expect(formatLine('dl', bar, 2, { color: false, timestamps: false })).toBe('dl | downloading 100%\n');
    // Plain text (tabs included) is left as it is.
    expect(terminalText('a\tb (c) [d]', false)).toBe('a\tb (c) [d]');
  });

  it('merges lines without a timestamp after the line before them', () => {
    writeFileSync(join(logs, 'raw.log'), line(1, 'out', 'a') + 'no prefix\n' + line(9, 'out', 'b'));
    expect(mergeTails(logs, ['raw', 'db'], 10).map((x) => x.line.text)).toEqual(['a', 'no prefix', 'db two', 'db four', 'b']);
  });
});
