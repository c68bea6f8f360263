// Drivers for the three supervisors the bench compares: corral, PM2 and supervisord.
// Each runs its daemon in a private temporary directory and is torn down at the end.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run, timeCommand, waitFor } from './lib.js';

const root = resolve(import.meta.dirname, '..');
const node = process.execPath;

/** A bench component: name, argv, env. */
function shellQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** corral from this checkout, or from another built checkout (`build`: its root; the tool is then named `corral@LABEL`). */
export function corralTool(dir, build = null) {
  const home = build ? build.root : root;
  const bin = join(home, 'bin', 'corral.js');
  // The timed commands run as a user types them: the `corral` command (bin/corral), as PM2's
  // are its own bin.
  const cmd = join(home, 'bin', 'corral');
  const conf = join(dir, 'corral.yaml');
  const corral = (args, opts) => run(node, [bin, ...args, '-c', conf], opts);
  return {
    name: build ? `corral@${build.label}` : 'corral',
    setup(components) {
      const lines = ['version: 1', 'bus: { port: 0 }', 'resources: { enabled: false }', 'components:'];
      for (const c of components) {
        lines.push(`  ${c.name}:`);
        lines.push(`    command: ${JSON.stringify(c.argv)}`);
        lines.push(`    env: ${JSON.stringify(c.env)}`);
        lines.push('    restart: { policy: always, backoff: { initial: 0ms, max: 0ms }, max_restarts: 1000 }');
        lines.push('    stop: { timeout: 5s }');
      }
      writeFileSync(conf, lines.join('\n') + '\n');
      corral(['up', '-d', '--timeout', '120s']);
    },
    daemonPid: () => JSON.parse(readFileSync(join(dir, '.corral', 'daemon.json'), 'utf8')).pid,
    stop: (names) => timeCommand(cmd, ['stop', ...names, '-c', conf]),
    start: (names) => timeCommand(cmd, ['start', ...names, '-c', conf]),
    status: () => timeCommand(cmd, ['ps', '--json', '-c', conf]),
    teardown() {
      spawnSync(node, [bin, 'down', '-c', conf], { stdio: 'ignore' });
    },
  };
}

export function pm2Tool(dir) {
  const bin = join(root, 'node_modules', '.bin', 'pm2');
  const home = join(dir, 'pm2home');
  mkdirSync(home, { recursive: true });
  const env = { ...process.env, PM2_HOME: home };
  const eco = join(dir, 'ecosystem.config.cjs');
  return {
    name: 'PM2',
    setup(components) {
      const apps = components.map((c) => ({
        name: c.name,
        script: c.argv[0],
        args: c.argv.slice(1),
        interpreter: 'none',
        exec_mode: 'fork',
        autorestart: true,
        restart_delay: 0,
        env: c.env,
      }));
      writeFileSync(eco, `module.exports = ${JSON.stringify({ apps }, null, 2)};\n`);
      run(bin, ['start', eco], { env });
    },
    daemonPid: () => Number(readFileSync(join(home, 'pm2.pid'), 'utf8')),
    stop: (names) => timeCommand(bin, ['stop', ...names], { env }),
    start: (names) => timeCommand(bin, ['start', ...names], { env }),
    status: () => timeCommand(bin, ['jlist'], { env }),
    teardown() {
      spawnSync(bin, ['kill'], { env, stdio: 'ignore' });
    },
  };
}

/** supervisord from Debian's `supervisor` package (installed when missing). */
export function supervisordTool(dir) {
  const conf = join(dir, 'supervisord.conf');
  const ctl = (args) => ['-c', conf, ...args];
  return {
    name: 'supervisord',
    available() {
      if (spawnSync('which', ['supervisord']).status === 0) return true;
      if (process.getuid?.() !== 0) return false;
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      spawnSync('apt-get', ['install', '-y', 'supervisor'], { stdio: 'ignore' });
      return spawnSync('which', ['supervisord']).status === 0;
    },
    setup(components) {
      const sections = [
        `[unix_http_server]\nfile=${dir}/supervisor.sock\n`,
        `[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\nchildlogdir=${dir}\nnodaemon=false\n`,
        `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n`,
        `[supervisorctl]\nserverurl=unix://${dir}/supervisor.sock\n`,
        ...components.map(
          (c) =>
            // supervisord expands %(name)s in its values: a literal % is written %%.
            `[program:${c.name}]\ncommand=${c.argv.map(shellQuote).join(' ').replaceAll('%', '%%')}\nautostart=true\nautorestart=true\nstartsecs=0\nstopwaitsecs=5\nenvironment=${Object.entries(c.env)
              .map(([k, v]) => `${k}="${v}"`)
              .join(',')}\n`,
        ),
      ];
      writeFileSync(conf, sections.join('\n'));
      run('supervisord', ['-c', conf]);
    },
    daemonPid: () => Number(readFileSync(join(dir, 'supervisord.pid'), 'utf8')),
    stop: (names) => timeCommand('supervisorctl', ctl(['stop', ...names])),
    start: (names) => timeCommand('supervisorctl', ctl(['start', ...names])),
    // `status` exits 3 when something is not running; the round trip is what counts.
    status: () => {
      const t0 = performance.now();
      spawnSync('supervisorctl', ctl(['status']), { stdio: 'ignore' });
      return performance.now() - t0;
    },
    async teardown() {
      if (!existsSync(join(dir, 'supervisord.pid'))) return;
      const pid = this.daemonPid();
      spawnSync('supervisorctl', ctl(['shutdown']), { stdio: 'ignore' });
      await waitFor(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }, 20_000);
    },
  };
}
