import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

// `npm run bench` (bench/run.js) is checked with --dry-run and bad arguments
// only: the benchmarks themselves take minutes and the whole machine.
const root = resolve(import.meta.dirname, '../../..');
const runner = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['bench/run.js', ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('bench/run.js', () => {
  test('runs every benchmark in bench/, one after another, with the README arguments', () => {
    expect(runner('--dry-run')).toEqual({
      code: 0,
      stdout: ['node bench/supervisor.js --runs 3', 'node bench/bus.js --runs 5 --slow-seconds 0', 'node bench/resources.js --seconds 30', 'node bench/reload.js', ''].join('\n'),
      stderr: '',
    });
  });

  test('--only picks some (in the fixed order), --quick shortens them', () => {
    const r = runner('--only', 'reload,bus', '--quick', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['node bench/bus.js --runs 1 --seconds 2 --slow-seconds 0', 'node bench/reload.js --runs 5']);
  });

  test('it is what `npm run bench` runs, and every benchmark it names exists', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.bench).toBe('node bench/run.js');
    const files = runner('--dry-run').stdout.trim().split('\n').map((l) => l.split(' ')[1]!);
    expect(files).toHaveLength(4);
    expect(files.filter((f) => !existsSync(resolve(root, f)))).toEqual([]);
  });

  test('bad arguments are exit 2 with what is wrong and the usage', () => {
    const unknown = runner('--only', 'supervisor,nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown benchmark "nope" (there are: supervisor, bus, resources, reload)');
    expect(unknown.stderr).toContain('usage: node bench/run.js');
    expect(runner('--only').stderr).toContain('--only needs a comma-separated list');
    const flag = runner('--fast');
    expect(flag).toMatchObject({ code: 2, stdout: '' });
    expect(flag.stderr).toContain('unknown argument "--fast"');
  });
});
