import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { run } from '../../../src/cli/validate.js';
import { lines, makeTempDir } from './helpers.js';

let tmp: ReturnType<typeof makeTempDir>;
let out: string;
let err: string;

beforeEach(() => {
  tmp = makeTempDir('corral-validate-');
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  vi.stubEnv('NO_COLOR', '1');
  vi.stubEnv('CORRAL_CONFIG', '');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  tmp.cleanup();
});

describe('corral validate', () => {
  test('a valid file: exit 0 and a one-line summary', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  a: { command: x }', '  b: { command: y, enabled: false }'));
    expect(await run(['-c', file])).toBe(0);
    expect(out).toBe(`${file}: valid (2 components, 1 disabled)\n`);
  });

  test('every error as FILE:LINE:COL path: message, exit 2', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('components:', '  router:', '    command: node router.js', '    restrat: {}', '    depends_on: [db]', '    restart: { policy: sometimes }'),
    );
    expect(await run(['-c', file])).toBe(2);
    const printed = out.trim().split('\n');
    expect(printed).toEqual([
      `${file}:4:5 components.router.restrat: unknown key "restrat" for the process runner (did you mean "restart"?)`,
      `${file}:5:18 components.router.depends_on.db: unknown component "db" (router depends on it)`,
      expect.stringMatching(new RegExp(`^${file}:6:24 components\\.router\\.restart\\.policy: `)),
      `3 errors in ${file}`,
    ]);
  });

  test('an empty file is an error saying so; a file with no components is valid', async () => {
    const empty = tmp.write('empty.yaml', '# nothing yet\n');
    expect(await run(['-c', empty])).toBe(2);
    expect(out).toBe(`${empty}:1:1: the file is empty (start it with \`version: 1\`, then the components under \`components:\`)\n1 error in ${empty}\n`);
    out = '';
    expect(await run(['-c', tmp.write('bare.yaml', 'version: 1\n')])).toBe(0);
    expect(out).toBe(`${tmp.dir}/bare.yaml: valid (0 components)\n`);
  });

  test('warning below critical is judged only when both values parse', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines(
        'components:',
        '  a:',
        '    command: x',
        '    resources: { memory: { warning: 256MB, critical: lots }, cpu: { warning: 80, critical: -5 } }',
        '  b:',
        '    command: x',
        '    resources: { memory: { warning: 600MB, critical: 500MB } }',
      ),
    );
    expect(await run(['-c', file])).toBe(2);
    expect(out.trim().split('\n')).toEqual([
      `${file}:4:54 components.a.resources.memory.critical: expected a size such as 64KB, 512MB, 1GB`,
      expect.stringMatching(new RegExp(`^${file}:4:92 components\\.a\\.resources\\.cpu\\.critical: .*>0`)),
      `${file}:7:37 components.b.resources.memory.warning: warning must be below critical`,
      `3 errors in ${file}`,
    ]);
  });

  test('--json prints the errors for scripts', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  web: {}'));
    expect(await run(['-c', file, '--json'])).toBe(2);
    expect(JSON.parse(out)).toEqual({ ok: false, file, errors: [{ path: 'components.web.command', message: 'required for the process runner', line: 2, column: 3 }], warnings: [] });
  });

  test('an unset ${VAR} is a warning at its line; a missing ${VAR:?message} an error at its line', async () => {
    delete process.env.CORRAL_TEST_UNSET_VAR;
    const file = tmp.write('corral.yaml', lines('components:', '  web:', '    command: node web.js ${CORRAL_TEST_UNSET_VAR}'));
    expect(await run(['-c', file])).toBe(0);
    expect(out).toContain(':3:14 components.web.command: warning: ${CORRAL_TEST_UNSET_VAR} is not set, so it is an empty string here\n');
    expect(out).toMatch(/valid \(1 component, 1 warning\)/);
    out = '';
    const bad = tmp.write('bad.yaml', lines('components:', '  web:', '    command: node web.js', '    env:', '      KEY: ${CORRAL_TEST_UNSET_VAR:?put the API key in .env}'));
    expect(await run(['-c', bad])).toBe(2);
    expect(out).toContain(':5:12 components.web.env.KEY: CORRAL_TEST_UNSET_VAR: put the API key in .env\n');
  });

  test('a plugin that cannot be found is named with its component path', async () => {
    const file = tmp.write('corral.yaml', lines('components:', '  x: { plugin: no-such-plugin-here }'));
    expect(await run(['-c', file])).toBe(2);
    expect(out).toMatch(/components\.x\.plugin: .*no-such-plugin-here/);
  });

  test('the shipped config/ecosystem.yaml is valid', async () => {
    const shipped = new URL('../../../config/ecosystem.yaml', import.meta.url).pathname;
    const code = await run(['-c', shipped]);
    expect(out).toMatch(/valid \(\d+ components/);
    expect(code).toBe(0);
  });

  test('no config found: exit 2 with a clear message', async () => {
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      expect(await run([])).toBe(2);
    } finally {
      process.chdir(cwd);
    }
    expect(err).toMatch(/no config found: pass -c FILE/);
  });

  test('a missing -c file and a bad option exit 2', async () => {
    expect(await run(['-c', `${tmp.dir}/missing.yaml`])).toBe(2);
    expect(out).toBe(`${tmp.dir}/missing.yaml: cannot read (ENOENT: no such file)\n1 error in ${tmp.dir}/missing.yaml\n`);
    expect(await run(['--bogus'])).toBe(2);
    expect(err).toMatch(/unknown option "--bogus"/);
  });
});
