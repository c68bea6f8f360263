import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'corral-validate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const validate = (yaml: string) => {
  const config = join(dir, 'corral.yaml');
  writeFileSync(config, yaml);
  return spawnSync(process.execPath, [resolve('bin/corral.js'), 'validate', '-c', config], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
};

// The built CLI, as a user runs it.
describe('corral validate', () => {
  it('refuses healthy on a built-in runner without a probe and an env number not passed as written; a plugin may be waited on as healthy', () => {
    const bad = validate(
      [
        'version: 1',
        'components:',
        '  svc: { command: [sleep, "1000"] }',
        '  c:',
        '    command: [sleep, "1000"]',
        '    depends_on: { svc: healthy }',
        '    env: { V_BIG: 12345678901234567890, V_HEX: 0x1F, V_OK: 8080, V_ON: true }',
        '',
      ].join('\n'),
    );
    expect(bad.status).toBe(2);
    const out = bad.stdout + bad.stderr;
    expect(out).toContain('6:19 components.c.depends_on.svc: "svc" has no health probe, so it never becomes healthy: add health: to svc or use started');
    expect(out).toContain('components.c.env.V_BIG: the number 12345678901234567890 would be passed as 12345678901234567000: write it in quotes ("12345678901234567890")');
    expect(out).toContain('components.c.env.V_HEX: the number 0x1F would be passed as 31: write it in quotes ("0x1F") to pass it as written');
    expect(out).not.toContain('V_OK');

    // tmux-orchestrator is a plugin (its own health()): waiting for it to be healthy is allowed.
    const ok = validate(
      [
        'version: 1',
        'components:',
        '  tmux: { plugin: tmux-orchestrator, session: s, windows: [{ name: a }] }',
        '  c: { command: [sleep, "1000"], depends_on: { tmux: healthy }, env: { V_HEX: "0x1F", V_BIG: "12345678901234567890" } }',
        '',
      ].join('\n'),
    );
    expect(ok.stdout + ok.stderr).not.toMatch(/components\./);
    expect(ok.status).toBe(0);
  });
});
