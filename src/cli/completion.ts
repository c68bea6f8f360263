import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { findConfig } from '../daemon/paths.js';
import { parseArgs, UsageError } from './args.js';
import { runCommand } from './run-command.js';

/** Every command, and the options each takes (besides -c/--config and -h/--help). */
export const COMMAND_OPTIONS: Record<string, string[]> = {
  up: ['-d', '--detach', '--timeout', '--no-logs', '--port', '--profile'],
  down: ['--timeout'],
  ps: ['--json', '--all-hosts'],
  ls: ['--json', '--all-hosts'],
  list: ['--json', '--all-hosts'],
  status: ['--json', '--all-hosts'],
  start: [],
  stop: [],
  restart: [],
  reload: [],
  logs: ['-f', '--follow', '-n', '--lines', '-t', '--timestamps'],
  events: ['-f', '--follow', '--type', '--source', '--session', '--host', '--since', '--until', '-n', '--limit', '--json'],
  monitor: ['--once', '-n', '--lines', '--type', '--source', '--session', '--host'],
  attach: [],
  validate: ['--json'],
  hook: ['--print-settings', '--http'],
  notify: [],
  decisions: ['--json'],
  approve: [],
  deny: ['-r', '--reason'],
  emit: ['-p', '--payload', '--source', '--session', '--json'],
  dashboard: ['--print'],
  mcp: ['--allow-control'],
  startup: ['--print', '--remove'],
  completion: [],
};

/** Commands whose words are component names. */
const TAKES_NAMES = ['up', 'down', 'ps', 'ls', 'list', 'status', 'start', 'stop', 'restart', 'logs', 'attach'];

/**
 * The component names of a config, read from the file (no daemon needed):
 * its entries, an entry with `replicas: N` as NAME-1 … NAME-N too. Empty when
 * there is no config or it does not parse.
 */
export function componentNames(configPath: string | null): string[] {
  if (!configPath) return [];
  try {
    const text = readFileSync(configPath, 'utf8');
    const raw = (configPath.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { components?: Record<string, { replicas?: unknown } | null> };
    const out: string[] = [];
    for (const [name, c] of Object.entries(raw?.components ?? {})) {
      out.push(name);
      const n = c && typeof c.replicas === 'number' && Number.isInteger(c.replicas) ? Math.min(c.replicas, 100) : 0;
      for (let i = 1; i <= n; i++) out.push(`${name}-${i}`);
    }
    return out;
  } catch {
    return [];
  }
}

/** The profiles of a config (`profiles:` of its entries), read from the file; empty when there is none or it does not parse. */
export function profileNames(configPath: string | null): string[] {
  if (!configPath) return [];
  try {
    const text = readFileSync(configPath, 'utf8');
    const raw = (configPath.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as { components?: Record<string, { profiles?: unknown } | null> };
    const out = new Set<string>();
    for (const c of Object.values(raw?.components ?? {})) {
      if (Array.isArray(c?.profiles)) for (const p of c.profiles) if (typeof p === 'string') out.add(p);
    }
    return [...out];
  } catch {
    return [];
  }
}

const commands = () => Object.keys(COMMAND_OPTIONS).join(' ');

function bashScript(): string {
  const cases = Object.entries(COMMAND_OPTIONS)
    .map(([cmd, opts]) => `    ${cmd}) opts="${opts.join(' ')}" ;;`)
    .join('\n');
  return `# corral completion for bash: source <(corral completion bash)
_corral() {
  local cur prev cmd opts names i cfg=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  COMPREPLY=()
  if [ "$COMP_CWORD" -le 1 ]; then
    COMPREPLY=( $(compgen -W "${commands()}" -- "$cur") )
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  case "$prev" in
    -c|--config) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
  esac
  for (( i=2; i < COMP_CWORD; i++ )); do
    case "\${COMP_WORDS[i]}" in -c|--config) cfg=(-c "\${COMP_WORDS[i+1]}") ;; esac
  done
  if [ "$prev" = --profile ] && [ "$cmd" = up ]; then
    names="$(corral __complete profiles "\${cfg[@]}" 2>/dev/null)"
    COMPREPLY=( $(compgen -W "$names" -- "$cur") )
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    case "$cmd" in
${cases}
      *) opts="" ;;
    esac
    COMPREPLY=( $(compgen -W "$opts -c --config -h --help" -- "$cur") )
    return 0
  fi
  case "$cmd" in
    ${TAKES_NAMES.join('|')})
      names="$(corral __complete names "\${cfg[@]}" 2>/dev/null)"
      COMPREPLY=( $(compgen -W "$names" -- "$cur") ) ;;
    completion) COMPREPLY=( $(compgen -W "bash zsh fish" -- "$cur") ) ;;
    validate) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
  esac
  return 0
}
complete -F _corral corral
`;
}

function zshScript(): string {
  const cases = Object.entries(COMMAND_OPTIONS)
    .map(([cmd, opts]) => `    ${cmd}) opts=(${opts.join(' ')}) ;;`)
    .join('\n');
  return `#compdef corral
# corral completion for zsh: source <(corral completion zsh), or save as _corral in a directory of $fpath
_corral() {
  local -a commands opts names cfg
  commands=(${commands()})
  if (( CURRENT == 2 )); then
    compadd -- $commands
    return
  fi
  local cmd=$words[2] i
  if [[ $words[CURRENT-1] == (-c|--config) ]]; then
    _files
    return
  fi
  for (( i = 3; i < CURRENT; i++ )); do
    [[ $words[i] == (-c|--config) ]] && cfg=(-c $words[i+1])
  done
  if [[ $cmd == up && $words[CURRENT-1] == --profile ]]; then
    names=(\${(f)"$(corral __complete profiles $cfg 2>/dev/null)"})
    compadd -- $names
    return
  fi
  if [[ $PREFIX == -* ]]; then
    case $cmd in
${cases}
    esac
    compadd -- $opts -c --config -h --help
    return
  fi
  case $cmd in
    (${TAKES_NAMES.join('|')})
      names=(\${(f)"$(corral __complete names $cfg 2>/dev/null)"})
      compadd -- $names ;;
    (completion) compadd bash zsh fish ;;
    (validate) _files ;;
  esac
}
if (( $+functions[compdef] )); then compdef _corral corral; fi
`;
}

function fishScript(): string {
  const lines = [
    '# corral completion for fish: corral completion fish | source (or save as ~/.config/fish/completions/corral.fish)',
    'complete -c corral -f',
    `complete -c corral -n '__fish_use_subcommand' -a '${commands()}'`,
    `complete -c corral -n '__fish_seen_subcommand_from ${TAKES_NAMES.join(' ')}' -a '(corral __complete names 2>/dev/null)'`,
    "complete -c corral -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'",
    "complete -c corral -n '__fish_seen_subcommand_from validate' -F",
    "complete -c corral -s c -l config -r -F -d 'config file'",
  ];
  for (const [cmd, opts] of Object.entries(COMMAND_OPTIONS)) {
    for (const opt of opts) {
      const flag = opt.startsWith('--') ? `-l ${opt.slice(2)}` : `-s ${opt.slice(1)}`;
      const values = cmd === 'up' && opt === '--profile' ? " -x -a '(corral __complete profiles 2>/dev/null)'" : '';
      lines.push(`complete -c corral -n '__fish_seen_subcommand_from ${cmd}' ${flag}${values}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `corral completion bash|zsh|fish`: prints the completion script (commands,
 * each command's options, and component names through `corral __complete names`).
 * `corral __complete names [-c FILE]`: the component names, one a line;
 * `corral __complete profiles [-c FILE]`: the profiles (for `up --profile`).
 */
export function run(args: string[], command: string): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    if (command === '__complete') {
      const what = positionals[0];
      if ((what !== 'names' && what !== 'profiles') || positionals.length > 1) throw new UsageError('usage: corral __complete names|profiles [-c FILE]');
      const configPath = findConfig(flags.config as string | undefined) ?? null;
      const names = what === 'names' ? componentNames(configPath) : profileNames(configPath);
      process.stdout.write(names.length > 0 ? `${names.join('\n')}\n` : '');
      return 0;
    }
    const shell = positionals[0];
    const scripts: Record<string, () => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };
    if (positionals.length !== 1 || !shell || !Object.hasOwn(scripts, shell)) throw new UsageError('usage: corral completion bash|zsh|fish');
    process.stdout.write(scripts[shell]!());
    return 0;
  }, command);
}
