import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/logs.js';
import { hasLog, listLogNames } from '../../../src/logs/index.js';

// A rotation renames `X.log` to `X.log.1` and only then opens the next `X.log`
// (src/logs/create-log-sink.ts): for that moment the log is in rotated files
// alone. `corral logs X` read there used to say "has printed nothing yet" and
// print nothing (test/integration/cli/logs-rotation.test.ts failed on it once).

let root: string;
let logs: string;

const line = (sec: number, text: string) => `2026-01-01T00:00:${String(sec).padStart(2, '0')}.000Z out ${text}\n`;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'corral-cli-logs-rot-'));
  writeFileSync(join(root, 'corral.yaml'), 'version: 1\nstate_dir: ./state\ncomponents:\n  counter:\n    command: ["true"]\n');
  logs = join(root, 'state', 'logs');
  mkdirSync(logs, { recursive: true });
  // Mid-rotation: counter.log has become counter.log.1; the new counter.log is not open yet.
  writeFileSync(join(logs, 'counter.log.2'), line(1, 'seq 1') + line(2, 'seq 2'));
  writeFileSync(join(logs, 'counter.log.1'), line(3, 'seq 3') + line(4, 'seq 4'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function capture(stream: NodeJS.WriteStream): { text(): string } {
  let out = '';
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return { text: () => out };
}

describe('corral logs between a rotation’s rename and its new file', () => {
  it('shows the last lines from the rotated files, not "printed nothing yet"', async () => {
    const out = capture(process.stdout);
    const err = capture(process.stderr);
    expect(await run(['-c', join(root, 'corral.yaml'), 'counter', '-n', '3'])).toBe(0);
    expect(err.text()).toBe('');
    expect(out.text()).toBe(['counter | seq 2', 'counter | seq 3', 'counter | seq 4', ''].join('\n'));
  });

  it('lists the component among the logs, and says it has one', async () => {
    expect(hasLog(logs, 'counter')).toBe(true);
    expect(hasLog(logs, 'web')).toBe(false);
    expect(listLogNames(logs)).toEqual(['counter']);
    const out = capture(process.stdout);
    expect(await run(['-c', join(root, 'corral.yaml'), '-n', '1'])).toBe(0);
    expect(out.text()).toBe('counter | seq 4\n');
  });
});
