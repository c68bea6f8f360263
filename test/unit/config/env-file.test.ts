import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig, type LoadResult } from '../../../src/config/load.js';
import { expandReplicas } from '../../../src/config/replicas.js';
import { planReload } from '../../../src/config/diff.js';
import { lines, makeTempDir } from './helpers.js';

let tmp: ReturnType<typeof makeTempDir>;
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

function okOf(result: LoadResult) {
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result;
}
function errorsOf(result: LoadResult) {
  if (result.ok) throw new Error('expected the config to be refused');
  return result.errors;
}

describe('env_file', () => {
  test('top-level files, then the component\'s, then env: (later wins); paths relative to the config', async () => {
    tmp.write('.env', lines('SHARED=top', 'OVER=top', 'ONLY_TOP=1'));
    tmp.write('web.env', lines('OVER=web', 'WEB=1'));
    tmp.write('late.env', lines('WEB=late'));
    const file = tmp.write(
      'corral.yaml',
      lines('version: 1', 'env_file: .env', 'components:', '  web:', '    command: node web.js', '    env_file: [web.env, late.env]', '    env: { OVER: env }', '  db:', '    command: node db.js'),
    );
    const { config, envFiles } = okOf(await loadConfig(file, { env: {} }));
    expect(config.components.web!.env).toEqual({ SHARED: 'top', OVER: 'env', ONLY_TOP: '1', WEB: 'late' });
    expect(config.components.db!.env).toEqual({ SHARED: 'top', OVER: 'top', ONLY_TOP: '1' });
    expect(envFiles.sort()).toEqual([`${tmp.dir}/.env`, `${tmp.dir}/late.env`, `${tmp.dir}/web.env`]);
  });

  test('a missing env file is an error at its line, naming the directory', async () => {
    const file = tmp.write('corral.yaml', lines('version: 1', 'components:', '  web:', '    command: node web.js', '    env_file:', '      - here.env', '      - .env'));
    tmp.write('here.env', 'A=1\n');
    const errors = errorsOf(await loadConfig(file, { env: {} }));
    expect(errors).toEqual([{ path: 'components.web.env_file[1]', message: `env file .env not found (relative to ${tmp.dir})`, line: 7, column: 9 }]);
  });

  test('{path, required: false} may be missing', async () => {
    const file = tmp.write('corral.yaml', lines('version: 1', 'env_file: [{ path: local.env, required: false }]', 'components:', '  web: { command: node web.js }'));
    expect(okOf(await loadConfig(file, { env: {} })).config.components.web!.env).toEqual({});
  });

  test('a bad line in an env file is an error at the env_file entry naming the file and line, not the value', async () => {
    tmp.write('.env', lines('OK=1', 'export TOKEN=hunter2'));
    const file = tmp.write('corral.yaml', lines('version: 1', 'env_file: .env', 'components:', '  web: { command: node web.js }'));
    const errors = errorsOf(await loadConfig(file, { env: {} }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: 'env_file', line: 2, message: expect.stringContaining('.env line 2: "export" is not part') });
    expect(JSON.stringify(errors)).not.toContain('hunter2');
  });
});

describe('interpolation', () => {
  test('command, cwd, env values and health urls; corral\'s own environment wins over env files', async () => {
    tmp.write('.env', lines('PORT=4100', 'HOST=from-file', 'DIR=app'));
    const file = tmp.write(
      'corral.yaml',
      lines(
        'version: 1',
        'env_file: .env',
        'components:',
        '  web:',
        '    command: node web.js --port ${PORT} --host ${HOST}',
        '    cwd: ${DIR}',
        '    env: { URL: "http://${HOST}:${PORT}", LEVEL: "${LEVEL:-info}", PRICE: "$$5" }',
        '    health: { http: "http://127.0.0.1:${PORT}/health" }',
        '  db:',
        '    command: [node, db.js, "${HOST}"]',
        '    health: { tcp: "127.0.0.1:${PORT}" }',
      ),
    );
    const { config, warnings } = okOf(await loadConfig(file, { env: { HOST: 'from-shell' } }));
    const web = config.components.web!;
    expect(web.command).toBe('node web.js --port 4100 --host from-shell');
    expect(web.cwd).toBe('app');
    expect(web.env).toMatchObject({ URL: 'http://from-shell:4100', LEVEL: 'info', PRICE: '$5', PORT: '4100', HOST: 'from-file' });
    expect(web.health!.http).toBe('http://127.0.0.1:4100/health');
    expect(config.components.db!.command).toEqual(['node', 'db.js', 'from-shell']);
    expect(config.components.db!.health!.tcp).toBe('127.0.0.1:4100');
    expect(warnings).toEqual([]);
  });

  test('an unset ${VAR} is empty and a warning at its line; a missing ${VAR:?message} is an error at its line', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('version: 1', 'components:', '  web:', '    command: node web.js ${FLAGS}', '    env:', '      TOKEN: "${API_TOKEN:?set API_TOKEN (see README)}"'),
    );
    const result = await loadConfig(file, { env: {} });
    expect(errorsOf(result)).toEqual([{ path: 'components.web.env.TOKEN', message: 'API_TOKEN: set API_TOKEN (see README)', line: 6, column: 14 }]);
    expect(result.warnings).toEqual([{ path: 'components.web.command', message: '${FLAGS} is not set, so it is an empty string here', line: 4, column: 14 }]);
    const fine = okOf(await loadConfig(file, { env: { API_TOKEN: 't' } }));
    expect(fine.config.components.web!.env.TOKEN).toBe('t');
    expect(fine.warnings).toHaveLength(1);
  });

  test('the warning says why when the name is in env: or a .env lies unread beside the config', async () => {
    tmp.write('.env', 'X=1\n');
    const file = tmp.write('corral.yaml', lines('version: 1', 'components:', '  web:', '    command: sh -c "serve ${PORT} ${X}"', '    env: { PORT: "1" }'));
    const { warnings } = okOf(await loadConfig(file, { env: {} }));
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining("it is in this component's env:"),
      expect.stringContaining('add env_file: .env'),
    ]);
  });

  test('the schema checks the interpolated value', async () => {
    const file = tmp.write('corral.yaml', lines('version: 1', 'components:', '  web:', '    command: x', '    health: { http: "${URL}" }'));
    const errors = errorsOf(await loadConfig(file, { env: { URL: 'not a url' } }));
    expect(errors[0]).toMatchObject({ path: 'components.web.health.http', line: 5 });
  });

  test('CORRAL_REPLICA and CORRAL_COMPONENT fill each replica', async () => {
    const file = tmp.write(
      'corral.yaml',
      lines('version: 1', 'components:', '  web:', '    replicas: 3', '    command: node web.js --name ${CORRAL_COMPONENT}', '    env: { PORT: "300${CORRAL_REPLICA}" }', '    health: { http: "http://127.0.0.1:300${CORRAL_REPLICA}/" }', '  one:', '    command: node x.js ${CORRAL_COMPONENT} ${CORRAL_REPLICA:-0}'),
    );
    const loaded = okOf(await loadConfig(file, { env: {} }));
    expect(loaded.warnings).toEqual([]);
    const { components } = expandReplicas(loaded.config);
    expect(components['web-2']!.env).toEqual({ PORT: '3002', CORRAL_REPLICA: '2' });
    expect(components['web-3']!.command).toBe('node web.js --name web-3');
    expect(components['web-1']!.health!.http).toBe('http://127.0.0.1:3001/');
    expect(components.one!.command).toBe('node x.js one 0');
  });

  test('a changed env file changes the hash and restarts only the components that read it', async () => {
    tmp.write('web.env', 'SECRET=one\n');
    const file = tmp.write('corral.yaml', lines('version: 1', 'components:', '  web: { command: node web.js, env_file: web.env }', '  db: { command: node db.js }'));
    const before = okOf(await loadConfig(file, { env: {} }));
    tmp.write('web.env', 'SECRET=two\n');
    const after = okOf(await loadConfig(file, { env: {} }));
    expect(after.hash).not.toBe(before.hash);
    const plan = planReload(before.config, after.config);
    expect(plan).toMatchObject({ restarted: ['web'], unchanged: 1 });
    expect(JSON.stringify(plan)).not.toMatch(/one|two/);
  });
});
