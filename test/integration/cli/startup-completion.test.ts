import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bin, cli } from '../daemon/helpers.js';

// `corral startup` against a temporary HOME (systemd cannot run here: a stand-in `systemctl` records what it is asked),
// and `corral completion` loaded into a real bash.

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'corral-startup-'));
  dirs.push(d);
  return d;
}

/** A project at `<tmp>/My Project!/config/ecosystem.yaml`, a HOME and an XDG_CONFIG_HOME of its own. */
function setup() {
  const root = tempDir();
  const projectDir = join(root, 'My Project!');
  mkdirSync(join(projectDir, 'config'), { recursive: true });
  const config = join(projectDir, 'config', 'ecosystem.yaml');
  writeFileSync(config, 'version: 1\ncomponents:\n  web:\n    command: ["sleep", "1"]\n  worker:\n    command: ["sleep", "1"]\n    replicas: 2\n');
  const home = join(root, 'home');
  const xdg = join(root, 'xdg');
  mkdirSync(home);
  const unit = join(xdg, 'systemd', 'user', 'corral-my-project.service');
  return { root, projectDir, config, home, xdg, unit, env: { HOME: home, XDG_CONFIG_HOME: xdg } };
}

describe('corral startup', () => {
  it.skipIf(existsSync('/run/systemd/system'))('where systemd is not running: prints the unit and how to install it, installs nothing', async () => {
    const s = setup();
    const r = await cli(['startup'], s.projectDir, 30_000, s.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ExecStart="${process.execPath}" "${bin}" "up" "--no-logs" "-c" "${s.config}"`);
    // A path setting is unquoted: systemd takes the rest of the line, spaces included (a quoted one is "not absolute").
    expect(r.stdout).toContain(`\nWorkingDirectory=${join(s.projectDir, 'config')}\n`);
    expect(r.stdout).toMatch(/^Restart=on-failure$/m);
    expect(r.stdout).toMatch(/^WantedBy=default.target$/m);
    expect(r.stderr).toContain('systemd is not running here');
    expect(r.stderr).toContain(s.unit);
    expect(r.stderr).toContain('systemctl --user enable --now corral-my-project.service');
    expect(existsSync(s.unit)).toBe(false);
    // The unit runs what it says: node and the bin exist.
    expect(existsSync(process.execPath) && existsSync(bin)).toBe(true);
  });

  it('--print only prints; with systemd: writes the unit, daemon-reload and enable --now; --remove undoes it', async () => {
    const s = setup();
    const calls = join(s.root, 'calls.log');
    const fake = join(s.root, 'systemctl');
    writeFileSync(fake, `#!/bin/sh\necho "$*" >> "${calls}"\n[ "$2" = "is-system-running" ] && echo running\nexit 0\n`);
    chmodSync(fake, 0o755);
    const env = { ...s.env, CORRAL_SYSTEMCTL: fake };

    const printed = await cli(['startup', '--print'], s.projectDir, 30_000, env);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('[Service]');
    expect(printed.stdout).toContain(`\nWorkingDirectory=${join(s.projectDir, 'config')}\n`);
    expect(existsSync(s.unit)).toBe(false);
    expect(existsSync(calls)).toBe(false);

    const installed = await cli(['startup', '-c', s.config], s.root, 30_000, env);
    expect(installed.code, installed.stderr).toBe(0);
    expect(readFileSync(s.unit, 'utf8')).toBe(printed.stdout);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['--user is-system-running', '--user daemon-reload', '--user enable --now corral-my-project.service']);

    rmSync(calls);
    const removed = await cli(['startup', '--remove'], s.projectDir, 30_000, env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(s.unit)).toBe(false);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['--user is-system-running', '--user disable --now corral-my-project.service', '--user daemon-reload']);
    expect((await cli(['startup', '--print', '--remove'], s.projectDir, 30_000, env)).code).toBe(2);
  });
});

describe.skipIf(spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0)('corral startup: the unit, by systemd-analyze', () => {
  it('systemd-analyze verify accepts the unit of a project whose path has a space, `$` and `%`', async () => {
    const root = tempDir();
    const projectDir = join(root, 'My $HOME 100%');
    mkdirSync(projectDir);
    writeFileSync(join(projectDir, 'corral.yaml'), 'version: 1\ncomponents:\n  web:\n    command: ["sleep", "1"]\n');
    const printed = await cli(['startup', '--print'], projectDir, 30_000, { HOME: join(root, 'home') });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain(`\nWorkingDirectory=${root}/My $HOME 100%%\n`);
    expect(printed.stdout).toContain(`"-c" "${root}/My $$HOME 100%%/corral.yaml"\n`);
    const file = join(root, 'corral-my-home-100.service');
    writeFileSync(file, printed.stdout);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stderr).not.toMatch(/not absolute|bad unit file setting/i);
  });
});

describe('corral completion', () => {
  /** Runs the bash completion function on a command line (its words, the cursor on the last) in `cwd`; returns COMPREPLY. */
  function complete(script: string, words: string[], cwd: string, shimDir: string): string[] {
    const line = words.map((w) => `'${w}'`).join(' ');
    const program = `source "${script}"; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _corral; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', program], { cwd, encoding: 'utf8', env: { PATH: `${shimDir}:${process.env.PATH}`, HOME: cwd } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  it('bash: completes commands, options, and the component names of the config', async () => {
    const s = setup();
    const r = await cli(['completion', 'bash'], s.root);
    expect(r.code).toBe(0);
    const script = join(s.root, 'corral.bash');
    writeFileSync(script, r.stdout);
    // `corral` on PATH, as after `npm install -g`.
    const shimDir = join(s.root, 'bin');
    mkdirSync(shimDir);
    writeFileSync(join(shimDir, 'corral'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`);
    chmodSync(join(shimDir, 'corral'), 0o755);

    expect(complete(script, ['corral', 'st'], s.projectDir, shimDir)).toEqual(['start', 'startup', 'status', 'stop']);
    expect(complete(script, ['corral', 'restart', 'w'], s.projectDir, shimDir)).toEqual(['web', 'worker', 'worker-1', 'worker-2']);
    expect(complete(script, ['corral', 'up', '--'], s.projectDir, shimDir)).toEqual(expect.arrayContaining(['--detach', '--no-logs', '--port', '--timeout', '--config']));
    // From elsewhere, the names of the config given with -c.
    expect(complete(script, ['corral', 'logs', '-c', s.config, ''], s.root, shimDir)).toEqual(['web', 'worker', 'worker-1', 'worker-2']);
    // No config: no names, and no error.
    expect(complete(script, ['corral', 'stop', ''], s.home, shimDir)).toEqual([]);
    expect(complete(script, ['corral', 'completion', ''], s.root, shimDir)).toEqual(['bash', 'fish', 'zsh']);
    expect(complete(script, ['corral', 'ps', '--a'], s.projectDir, shimDir)).toEqual(['--all-hosts']);
    expect(complete(script, ['corral', 'events', '--h'], s.projectDir, shimDir)).toEqual(['--help', '--host']);
    // up --profile: the profiles of the config (none here; those of another config given with -c).
    expect(complete(script, ['corral', 'up', '--profile', ''], s.projectDir, shimDir)).toEqual([]);
    const withProfiles = join(s.root, 'profiles.yaml');
    writeFileSync(withProfiles, 'version: 1\ncomponents:\n  a: { command: ["true"], profiles: [agents, debug] }\n  b: { command: ["true"], profiles: [debug] }\n');
    expect(complete(script, ['corral', 'up', '-c', withProfiles, '--profile', ''], s.root, shimDir)).toEqual(['agents', 'debug']);
    expect(complete(script, ['corral', 'up', '-c', withProfiles, '--profile', 'a'], s.root, shimDir)).toEqual(['agents']);
    expect((await cli(['__complete', 'profiles', '-c', withProfiles], s.root)).stdout).toBe('agents\ndebug\n');
  });

  it('zsh and fish: scripts that their shells parse (or, without the shell, of the right shape); a bad shell is a usage error', async () => {
    const zsh = (await cli(['completion', 'zsh'], tmpdir())).stdout;
    const fish = (await cli(['completion', 'fish'], tmpdir())).stdout;
    expect(zsh.startsWith('#compdef corral\n')).toBe(true);
    expect(zsh).toContain('corral __complete names');
    expect(zsh).toContain('compdef _corral corral');
    expect(fish).toContain("complete -c corral -n '__fish_use_subcommand' -a 'up down ps");
    expect(fish).toContain('(corral __complete names 2>/dev/null)');
    expect(fish).toContain("complete -c corral -n '__fish_seen_subcommand_from up' -l no-logs");
    expect(fish).toContain("complete -c corral -n '__fish_seen_subcommand_from up' -l profile -x -a '(corral __complete profiles 2>/dev/null)'");
    expect(zsh).toContain('corral __complete profiles');
    for (const [shell, text] of [['zsh', zsh], ['fish', fish]] as const) {
      if (spawnSync('sh', ['-c', `command -v ${shell}`]).status !== 0) continue;
      const r = spawnSync(shell, ['-n'], { input: text, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    expect((await cli(['completion', 'tcsh'], tmpdir())).code).toBe(2);
    expect((await cli(['completion'], tmpdir())).code).toBe(2);
  });
});
