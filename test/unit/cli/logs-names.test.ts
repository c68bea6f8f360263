import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/logs.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'corral-cli-logs-names-'));
  writeFileSync(join(root, 'corral.yaml'), 'version: 1\nstate_dir: ./state\ncomponents: {}\n');
  mkdirSync(join(root, 'state', 'logs'), { recursive: true });
  // A log-shaped file outside the state directory, one level above its logs.
  writeFileSync(join(root, 'state', 'secret.log'), '2026-01-01T00:00:01.000Z out the secret\n');
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

function capture(): { out(): string; err(): string } {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  return { out: () => out, err: () => err };
}

describe('corral logs NAME', () => {
  it.each(['../secret', '../../../../var/log/dpkg', '/etc/passwd', '.hidden', 'web/../../secret'])('refuses %s as a name: exit 2, nothing read', async (name) => {
    const io = capture();
    expect(await run([name, '-c', join(root, 'corral.yaml')])).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(`corral logs: "${name}" is not a component name (names use letters, digits, _ . - and start with a letter or digit)\n`);
  });

  it('still shows a component by name', async () => {
    writeFileSync(join(root, 'state', 'logs', 'web.log'), '2026-01-01T00:00:01.000Z out hello\n');
    const io = capture();
    expect(await run(['web', '-c', join(root, 'corral.yaml')])).toBe(0);
    expect(io.out()).toBe('web | hello\n');
  });
});
