import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readMaskedConfig } from '../../../src/mcp/config-view.js';
import { cli, killMarked, processesWithMarker, project, ps } from '../daemon/helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

// A config as a docker compose user writes it: a .env beside it (env_file),
// ${VAR:-default} and ${VAR:?message}, through the built CLI and a real
// daemon; and the values in the env file never show in ps, events, the
// daemon's log, validate or get_config.

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** A live process's environment. */
function environ(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
const argv = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);

// Says hello, then idles: a long-running server as far as corral is concerned.
const idle = 'console.log("hello"); setInterval(() => {}, 1000)';
const config = `version: 1
bus: { port: 0 }
resources: { enabled: false }
env_file: .env
components:
  api:
    command: ["node", "-e", ${JSON.stringify(idle)}, "--", "--port", "\${PORT}", "--level", "\${LOG_LEVEL:-info}", "--greeting", "\${GREETING}"]
    env:
      MARK: "\${MARK}"
      API_KEY: "\${API_KEY:?set API_KEY in your shell or in .env}"
    ready_after: 0s
  worker:
    command: ["node", "-e", ${JSON.stringify(idle)}]
    env: { MARK: "\${MARK}" }
    ready_after: 0s
`;

describe('env_file and interpolation through the CLI and a real daemon', () => {
  it('a docker compose user\'s config: .env values reach the process, defaults fill, the shell wins for interpolation; no value leaks', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const secret = `pw-${randomUUID()}`;
    const apiKey = `key-${randomUUID()}`;
    const p = project(config);
    cleanups.push(p.cleanup, () => killMarked(marker));
    writeFileSync(join(p.dir, '.env'), `# written for docker compose\nDB_PASSWORD="${secret}"\nPORT=4567\nGREETING='hello from .env' # a comment\n`);

    // Without API_KEY: validate names the line of the required variable, exit 2.
    const missing = await cli(['validate'], p.dir, 60_000, { MARK: marker, API_KEY: '' });
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain('corral.yaml:10:16 components.api.env.API_KEY: API_KEY: set API_KEY in your shell or in .env');

    const shell = { MARK: marker, API_KEY: apiKey, GREETING: 'hello from the shell' };
    const valid = await cli(['validate'], p.dir, 60_000, shell);
    expect(valid.code, valid.stdout).toBe(0);
    const up = await cli(['up', '-d'], p.dir, 60_000, shell);
    expect(up.code, up.stderr).toBe(0);
    const list = await waitFor('api and worker running', () => ps(p.dir), (l) => l.length === 2 && l.every((c) => c.state === 'running' && c.pid !== null));
    const api = list.find((c) => c.name === 'api')!;
    const env = environ(api.pid!);
    // The env file's values reach the process; the shell's GREETING won for ${GREETING}, the file's for the process env.
    expect(env).toMatchObject({ DB_PASSWORD: secret, PORT: '4567', GREETING: 'hello from .env', API_KEY: apiKey, MARK: marker });
    expect(argv(api.pid!).slice(-6)).toEqual(['--port', '4567', '--level', 'info', '--greeting', 'hello from the shell']);
    expect(environ(list.find((c) => c.name === 'worker')!.pid!).DB_PASSWORD).toBe(secret);

    // A changed .env is a changed env: both components read it, both restart with the new value (the watcher saw the file).
    const newSecret = `pw-${randomUUID()}`;
    writeFileSync(join(p.dir, '.env'), `DB_PASSWORD=${newSecret}\nPORT=4567\nGREETING='hello from .env'\n`);
    const after = await waitFor(
      'api and worker restarted with the new value',
      () => ps(p.dir),
      (l) => l.length === 2 && l.every((c) => c.state === 'running' && c.pid !== null && c.pid !== list.find((o) => o.name === c.name)!.pid && environ(c.pid).DB_PASSWORD === newSecret),
    );
    expect(after).toHaveLength(2);

    // Nothing shows a value: ps --json, the events (config.changed's plan, component.*), the daemon's logs, validate, get_config.
    const secrets = [secret, newSecret, apiKey];
    const psJson = await cli(['ps', '--json'], p.dir);
    const events = await cli(['events', '--json', '-n', '1000'], p.dir);
    expect(events.code, events.stderr).toBe(0);
    expect(events.stdout).toContain('"config.changed"');
    const validateJson = await cli(['validate', '--json'], p.dir, 60_000, shell);
    const logs = readdirSync(join(p.dir, '.corral', 'logs'))
      .filter((f) => f.startsWith('corral') || f.startsWith('daemon'))
      .map((f) => readFileSync(join(p.dir, '.corral', 'logs', f), 'utf8'))
      .join('\n');
    expect(logs).toContain('config applied');
    // get_config reads the file in its own process (`corral mcp`), with the same shell.
    vi.stubEnv('API_KEY', apiKey);
    const masked = await readMaskedConfig(p.config);
    vi.unstubAllEnvs();
    expect(masked.ok).toBe(true);
    for (const [what, text] of Object.entries({ psJson: psJson.stdout, events: events.stdout, logs, validate: validateJson.stdout + valid.stdout + missing.stdout, getConfig: JSON.stringify(masked) })) {
      for (const s of secrets) expect(text.includes(s), `${what} shows a secret`).toBe(false);
    }

    expect((await cli(['down'], p.dir)).code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('PORT: "300${CORRAL_REPLICA}" gives each replica its own value', async () => {
    const marker = `corral-test-${randomUUID()}`;
    const p = project(`version: 1
bus: { port: 0 }
resources: { enabled: false }
components:
  web:
    replicas: 3
    command: ["node", "-e", ${JSON.stringify(idle)}, "--", "\${CORRAL_TEST_UNSET}", "\${CORRAL_COMPONENT}"]
    env: { MARK: "${marker}", PORT: "300\${CORRAL_REPLICA}" }
    ready_after: 0s
`);
    cleanups.push(p.cleanup, () => killMarked(marker));
    const up = await cli(['up', '-d'], p.dir);
    expect(up.code, up.stderr).toBe(0);
    const list = await waitFor('web-1..3 running', () => ps(p.dir), (l) => l.length === 3 && l.every((c) => c.state === 'running' && c.pid !== null));
    for (const c of list) {
      const i = c.name.slice('web-'.length);
      expect(environ(c.pid!).PORT).toBe(`300${i}`);
      expect(argv(c.pid!).at(-1)).toBe(c.name);
    }
    // The unset variable is a warning in the daemon's log, at its line.
    const log = readFileSync(join(p.dir, '.corral', 'logs', 'corral.log'), 'utf8');
    expect(log).toMatch(/corral\.yaml:7:\d+ components\.web\.command\[4\]: \$\{CORRAL_TEST_UNSET\} is not set/);
    expect((await cli(['down'], p.dir)).code).toBe(0);
  });

  it('a missing env file is a validate error at the env_file line', async () => {
    const p = project(`version: 1\ncomponents:\n  web:\n    command: node web.js\n    env_file:\n      - .env.local\n`);
    cleanups.push(p.cleanup);
    const r = await cli(['validate'], p.dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`corral.yaml:6:9 components.web.env_file[0]: env file .env.local not found (relative to ${p.dir})`);
  });
});
