// The CLI entry: finds the command and loads only its module (COMMANDS), so a quick
// command such as `corral ps` does not pay for the daemon's imports.
export const COMMANDS: Record<string, string> = {
  up: './up.js',
  down: './down.js',
  ps: './ps.js',
  start: './control.js',
  stop: './control.js',
  restart: './control.js',
  reload: './control.js',
  logs: './logs.js',
  events: './events.js',
  monitor: './monitor.js',
  attach: './attach.js',
  validate: './validate.js',
  hook: './hook.js',
  emit: './emit.js',
  daemon: './daemon.js',
  mcp: './mcp.js',
  dashboard: './dashboard.js',
  notify: './notify.js',
  decisions: './decisions.js',
  approve: './decisions.js',
  deny: './decisions.js',
  startup: './startup.js',
  completion: './completion.js',
  __complete: './completion.js',
};

/** Other names of a command (PM2's and docker's words for `ps`). */
const ALIASES: Record<string, string> = { ls: 'ps', list: 'ps', status: 'ps' };
const unalias = (name: string) => (Object.hasOwn(ALIASES, name) ? ALIASES[name]! : name);

const USAGE = `corral — a supervisor for a local ecosystem, with one event bus

usage: corral <command> [options]

  up [NAME...] [--profile P] [-d] [--timeout T] [--port N] [--no-logs]
                              start the daemon and the components (foreground; -d detaches and waits until ready);
                              NAME: only those and what they depend on; --profile P (repeatable): also the
                              components in profile P (the others are inactive); --port N (or CORRAL_PORT=N): the
                              bus's port, over bus.port; --no-logs: the live table without the components' output
  down [NAME...] [--timeout T]
                              stop every component, then the daemon; NAME: those and what depends on them (the daemon stays)
  ps [NAME...] [--json] [--all-hosts]
                              components: state, pid, uptime, restarts, cpu, memory, health
                              (also: ls, list, status)
                              --all-hosts: every federated host's last table, with its age
  start|stop|restart NAME...  act on components; \`all\`: every enabled one
  reload                      re-read the config and apply the changes
  logs [NAME...] [-f] [-n N] [-t]
                              captured stdout/stderr
  events [-f] [--type T] [--source S] [--session ID] [--host H] [--since T] [--until T] [-n N] [--json]
                              history and live tail of the bus; T, S, ID and H take comma lists (-n 0 -f: only new events)
  monitor [--once] [-n N] [--type T] [--source S] [--session ID] [--host H]
                              terminal view of components and live events
  attach NAME[:WINDOW]        attach the terminal to a tmux or pty component;
                              WINDOW: another window of a tmux component's session, by name or index
  validate [FILE] [--json]    check a config file (FILE, else -c FILE or the one found from here)
  hook [EVENT]                forward a Claude Code hook (stdin JSON) to the bus
  hook --print-settings [--http]
                              print Claude Code's hooks settings for corral (--http: http hooks, no process)
  notify test [RULE]          send a sample notification through one notify rule (or each)
  decisions [--json]          the hook decisions waiting for an answer (hooks.ask, humanInTheLoop)
  approve ID                  allow a pending decision
  deny ID [--reason R]        deny a pending decision (R is told to Claude Code)
  emit TYPE [--payload JSON|@FILE|-] [--source S] [--session ID] [--json]
                              publish one event (@FILE: the payload read from FILE, -: from stdin)
  dashboard [--print]         open the web dashboard with control (prints its address where there is no display)
  mcp [--allow-control]       a Model Context Protocol server on stdio, for Claude Code
                              (claude mcp add corral -- corral mcp); control tools only with --allow-control
  startup [--print|--remove]  run this config's corral at login (a systemd user unit; printed where systemd does not run)
  completion bash|zsh|fish    print a shell completion script (commands, options, component names)

Every command takes -c FILE. Exit codes: 0 done, 1 failed, 2 bad usage or invalid config.
Without a config, commands reach CORRAL_URL, else 127.0.0.1:CORRAL_PORT, else 127.0.0.1:4000, and say whose
daemon that is; control commands (down, start, stop, restart, reload) then need -c FILE or CORRAL_URL/CORRAL_PORT.
`;

/** A CLI command module: runs with the arguments after its name, returns the exit code. */
export interface CommandModule {
  run(args: string[], command: string): Promise<number>;
}

export async function main(argv: string[]): Promise<void> {
  const [given, ...rest] = argv;
  const command = given === undefined ? undefined : unalias(given);
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    process.exitCode = command ? 0 : 2;
    return;
  }
  if (command === '-v' || command === '--version') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return;
  }
  const path = COMMANDS[command];
  if (path && wantsHelp(rest)) {
    process.stdout.write(commandUsage(command));
    return;
  }
  if (!path) {
    process.stderr.write(`corral: unknown command "${command}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const mod = (await import(path)) as CommandModule;
  process.exitCode = await mod.run(rest, command);
}

/** `-h`/`--help` anywhere before a `--`. */
function wantsHelp(args: string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '-h' || a === '--help') return true;
  }
  return false;
}

/** The first line of a command's usage (`usage: corral emit TYPE …`): what its usage errors print. */
export function usageLine(command: string): string {
  return commandUsage(command).split('\n')[0]!;
}

/** The usage entry of one command (its line and continuation lines in USAGE). */
export function commandUsage(given: string): string {
  const command = unalias(given);
  const lines = USAGE.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {2}(\S+)/.exec(lines[i]!);
    if (!m || !m[1]!.split('|').includes(command)) continue;
    out.push(`usage: corral ${lines[i]!.slice(2)}`);
    while (i + 1 < lines.length && /^ {4,}\S/.test(lines[i + 1]!)) out.push(lines[++i]!);
  }
  out.push('', 'Every command takes -c FILE (the config; default: corral.yaml or config/ecosystem.yaml found from here up).');
  return `${out.join('\n')}\n`;
}
