import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

// The `corral` command is bin/corral (a POSIX sh script) that runs bin/corral.js; npm links it
// into node_modules/.bin. These run the build (`npm test` builds before the tests).
const root = resolve(import.meta.dirname, '../../..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const linkDir = mkdtempSync(join(tmpdir(), 'corral-bin-'));
// As npm links it: a relative symlink from another directory.
symlinkSync(relative(linkDir, join(root, 'bin', 'corral')), join(linkDir, 'corral'));
afterAll(() => rmSync(linkDir, { recursive: true, force: true }));

// Node warns at start-up when NODE_EXTRA_CA_CERTS names a file it cannot read: the warning tells
// whether the process that ran the command loaded the variable.
const MISSING = join(linkDir, 'no-such-bundle.pem');
const WARNING = 'Ignoring extra certs';

function run(cmd: string, args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: linkDir, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the corral command (bin/corral)', () => {
  test('runs through a relative symlink, as npm links it', () => {
    const r = run(join(linkDir, 'corral'), ['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.code).toBe(0);
  });

  test('a quick command starts Node without NODE_EXTRA_CA_CERTS (no bundle parsed at start-up)', () => {
    // The same variable makes Node itself warn: the check below can fail.
    expect(run(process.execPath, [join(root, 'bin', 'corral.js'), '--version'], { NODE_EXTRA_CA_CERTS: MISSING }).stderr).toContain(WARNING);
    const r = run(join(linkDir, 'corral'), ['--version'], { NODE_EXTRA_CA_CERTS: MISSING });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${version}\n`);
  });

  test('up and an https CORRAL_URL keep it (plugins in the daemon and TLS clients may need it)', () => {
    const up = run(join(linkDir, 'corral'), ['up', '-c', join(linkDir, 'missing.yaml')], { NODE_EXTRA_CA_CERTS: MISSING });
    expect(up.stderr).toContain(WARNING);
    expect(up.code).not.toBe(0);
    const tls = run(join(linkDir, 'corral'), ['--version'], { NODE_EXTRA_CA_CERTS: MISSING, CORRAL_URL: 'https://example.invalid:4000' });
    expect(tls.stderr).toContain(WARNING);
  });

  test('bin/corral.js puts the handed-on value back for what the command starts', () => {
    const child = run(
      process.execPath,
      ['--input-type=module', '-e', `process.argv.splice(1, 0, 'x', '--version'); await import(${JSON.stringify(join(root, 'bin', 'corral.js'))}); process.stderr.write(String(process.env.NODE_EXTRA_CA_CERTS) + '|' + String(process.env.CORRAL_NODE_EXTRA_CA_CERTS));`],
      { CORRAL_NODE_EXTRA_CA_CERTS: '/some/bundle.pem', NODE_EXTRA_CA_CERTS: undefined },
    );
    expect(child.stderr).toBe('/some/bundle.pem|undefined');
  });
});
