import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from './args.js';
import { findDaemon } from './daemon-client.js';
import { readBusUrl } from './state-dir.js';

/** The hooks corral's settings snippet registers, and whether a tool `matcher` applies to them. */
const HOOKS: readonly [string, boolean][] = [
  ['PreToolUse', true],
  ['PostToolUse', true],
  ['PostToolUseFailure', true],
  ['PermissionRequest', true],
  ['Notification', false],
  ['UserPromptSubmit', false],
  ['Stop', false],
  ['SubagentStart', false],
  ['SubagentStop', false],
  ['PreCompact', false],
  ['PostCompact', false],
  ['SessionStart', false],
  ['SessionEnd', false],
];

/** Hooks an `ask` rule can hold open: their hook timeout must outlast hooks.ask_timeout (60 s by default). */
const HELD = new Set(['PreToolUse', 'PermissionRequest']);

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** This installation's bin/corral, from the script Node runs (bin/corral.js, or the hook's bundle dist/corral-hook.cjs). */
function ownBin(script = process.argv[1]): string | null {
  if (!script) return null;
  let dir: string;
  try {
    dir = dirname(realpathSync(script));
  } catch {
    return null;
  }
  for (let i = 0; i < 3; i++, dir = dirname(dir)) {
    for (const file of [join(dir, 'corral'), join(dir, 'bin', 'corral')]) if (isExecutableFile(file)) return file;
  }
  return null;
}

/**
 * How the settings run corral: `corral` when it is on PATH, else this
 * installation's bin/corral by its absolute path (shell-quoted), said on
 * stderr; Claude Code runs the hook with the PATH it was started with.
 */
function corralCommand(env: NodeJS.ProcessEnv = process.env): string {
  if ((env.PATH ?? '').split(':').some((d) => d !== '' && isExecutableFile(join(d, 'corral')))) return 'corral';
  const bin = ownBin();
  if (!bin) return 'corral';
  process.stderr.write(`corral hook: \`corral\` is not on PATH, so the settings run ${bin}\n`);
  return /^[\w./+-]+$/.test(bin) ? bin : `'${bin.replace(/'/g, `'\\''`)}'`;
}

/**
 * `corral hook --print-settings [--http]`: Claude Code's `hooks` settings
 * for corral, to paste into `.claude/settings.json`. Without `--http`, each
 * hook runs `corral hook EVENT` (spools while the daemon is down; bin/corral
 * by its absolute path when `corral` is not on PATH); with it,
 * Claude Code POSTs to the daemon's `/hooks/EVENT` itself (no process; a hook
 * sent while the daemon is down is lost).
 */
export async function printSettings(args: string[]): Promise<number> {
  let flags: Record<string, string | boolean>;
  try {
    flags = parseArgs(args, { 'print-settings': 'boolean', http: 'boolean' }).flags;
  } catch (err) {
    process.stderr.write(`corral hook: ${(err as Error).message}; usage: corral hook --print-settings [--http]\n`);
    return 2;
  }
  let base = process.env.CORRAL_URL ?? 'http://127.0.0.1:4000';
  if (flags.http) {
    try {
      const target = findDaemon(flags.config as string | undefined);
      // The running daemon's address (its port may be one it picked); else the one its config asks for.
      base = target.info ? target.baseUrl : ((target.configPath ? await readBusUrl(target.configPath) : null) ?? target.baseUrl);
    } catch {}
  }
  const hooks: Record<string, unknown> = {};
  const corral = flags.http ? 'corral' : corralCommand();
  for (const [name, tools] of HOOKS) {
    const hook = flags.http
      ? { type: 'http', url: `${base.replace(/\/$/, '')}/hooks/${name}`, ...(HELD.has(name) ? { timeout: 120 } : {}) }
      : { type: 'command', command: `${corral} hook ${name}`, ...(HELD.has(name) ? { timeout: 120 } : {}) };
    hooks[name] = [{ ...(tools ? { matcher: '*' } : {}), hooks: [hook] }];
  }
  process.stdout.write(`${JSON.stringify({ hooks }, null, 2)}\n`);
  return 0;
}
