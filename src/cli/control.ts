import type { ReloadResult } from '../supervisor/types.js';
import { UsageError, noWords, parseArgs, useColor } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { displayPath, formatIssue, plural } from './format.js';
import { runCommand } from './run-command.js';
import type { ComponentInfo } from '../supervisor/types.js';

/** `corral start|stop|restart NAME...` and `corral reload`. */
export function run(args: string[], command: string): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    if (command === 'reload') noWords(positionals, 'reload');
    const target = findDaemon(flags.config as string | undefined, { control: command });
    if (command === 'reload') {
      const res = await apiRequest<(Partial<ReloadResult> & { error?: string }) | null>(target, 'POST', '/api/reload');
      const body = res.body ?? {};
      if (res.status === 200 && body.ok !== false) {
        process.stdout.write(`${body.message ?? 'reloaded'}\n`);
        return 0;
      }
      if (Array.isArray(body.errors)) {
        // An invalid config (exit 2, like `corral validate`): every error where it is, nothing changed.
        const file = displayPath(body.file ?? target.configPath ?? 'config');
        const color = useColor(process.stderr);
        for (const issue of body.errors) process.stderr.write(`${formatIssue(file, issue, color)}\n`);
        process.stderr.write(`corral reload: ${plural(body.errors.length, 'error')} in ${file}; the running config is unchanged\n`);
        return 2;
      }
      process.stderr.write(`corral reload: ${body.message ?? body.error ?? JSON.stringify(res.body)}\n`);
      return 1;
    }
    if (positionals.length === 0) throw new UsageError(`usage: corral ${command} NAME... (or all, or NAME@HOST)`);
    // NAME@HOST: another host's component, through this daemon's link to NATS (federation).
    const remote = positionals.filter((p) => p.includes('@'));
    if (remote.length > 0) {
      const code = await runRemote(target, command as RemoteCommand, remote);
      const local = positionals.filter((p) => !p.includes('@'));
      if (local.length === 0) return code;
      return Math.max(code, await runLocal(target, command, local));
    }
    return runLocal(target, command, positionals);
  });
}

type RemoteCommand = 'start' | 'stop' | 'restart';
const DONE = { start: 'started', stop: 'stopped', restart: 'restarted' } as const;

/** `NAME@HOST...`: each asked of its host's daemon (the local daemon sends the request over NATS); 1 when any failed. */
async function runRemote(target: ReturnType<typeof findDaemon>, command: RemoteCommand, names: string[]): Promise<number> {
  const results = await Promise.all(
    names.map(async (full) => {
      const at = full.lastIndexOf('@');
      const name = full.slice(0, at);
      const host = full.slice(at + 1);
      if (!name || !host) return { full, error: `expected NAME@HOST, got "${full}"` };
      const res = await apiRequest<{ error?: string; component?: { state?: string | null; reason?: string } }>(target, 'POST', `/api/hosts/${encodeURIComponent(host)}/components/${encodeURIComponent(name)}/${command}`, undefined, 130_000);
      if (res.status >= 200 && res.status < 300) return { full, state: res.body?.component?.state ?? null };
      return { full, error: res.body?.error ?? `HTTP ${res.status}` };
    }),
  );
  let code = 0;
  for (const r of results) {
    if ('error' in r) {
      code = 1;
      process.stderr.write(`${r.full}: ${r.error}\n`);
    } else if (command !== 'stop' && (r.state === 'pending' || r.state === 'failed')) {
      code = 1;
      process.stderr.write(`${r.full}: not running: ${r.state}\n`);
    } else process.stdout.write(`${r.full}: ${DONE[command]}\n`);
  }
  return code;
}

/** Local names: every one checked before anything is done, then all acted on at once. */
async function runLocal(target: ReturnType<typeof findDaemon>, command: string, positionals: string[]): Promise<number> {
  // Every name is checked before anything is done: a typo acts on nothing.
  const list = await apiRequest<{ components?: ComponentInfo[] } | ComponentInfo[]>(target, 'GET', '/api/components');
  if (list.status !== 200) {
    process.stderr.write(`corral ${command}: the daemon answered ${list.status}: ${JSON.stringify(list.body)}\n`);
    return 1;
  }
  const components = Array.isArray(list.body) ? list.body : (list.body?.components ?? []);
  const known = components.map((c) => c.name);
  // The name of an entry with `replicas` stands for its replicas (NAME-1 … NAME-N).
  const names = resolveNames(positionals, components).flatMap((n) => {
    const replicas = known.includes(n) ? [] : components.filter((c) => c.replica_of === n).map((c) => c.name);
    return replicas.length > 0 ? replicas : [n];
  });
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const listed = unknown.map((n) => `"${n}"`).join(', ');
    const what = unknown.length === 1 ? `${unknown[0]}: no component named ${listed}` : `no components named ${listed}`;
    process.stderr.write(`${what}; the components are: ${known.length > 0 ? known.join(', ') : '(none)'}\n`);
    return 2;
  }
  // Act on every name at once; each component's own state machine serialises its commands.
  const results = await Promise.all(
    names.map(async (name) => {
      const res = await apiRequest<{ error?: string; message?: string; component?: ComponentInfo | null }>(target, 'POST', `/api/components/${encodeURIComponent(name)}/${command}`, undefined, 120_000);
      return { name, res };
    }),
  );
  let code = 0;
  const knownNames = () => (known.length > 0 ? `; the components are: ${known.join(', ')}` : '');
  for (const { name, res } of results) {
    const after = res.body?.component;
    if (res.status >= 200 && res.status < 300 && command !== 'stop' && (after?.state === 'pending' || after?.state === 'failed')) {
      // Accepted, but it does not run: waiting for a dependency (it starts once that holds), or it failed to start.
      code = 1;
      process.stderr.write(`${name}: not running: ${after.state}${after.reason ? ` (${after.reason})` : ''}\n`);
    } else if (res.status >= 200 && res.status < 300) process.stdout.write(`${name}: ${command === 'stop' ? 'stopped' : command === 'start' ? 'started' : 'restarted'}\n`);
    else {
      code = res.status === 404 ? 2 : 1;
      // Removed by a reload since the names were checked.
      process.stderr.write(`${name}: ${res.body?.error ?? res.body?.message ?? `HTTP ${res.status}`}${res.status === 404 ? knownNames() : ''}\n`);
    }
  }
  return code;
}

/**
 * The names given, each once, in order; `all` stands for every enabled
 * component (PM2's `restart all`) unless a component is named `all`.
 */
export function resolveNames(given: string[], components: Pick<ComponentInfo, 'name' | 'state'>[]): string[] {
  const hasAll = components.some((c) => c.name === 'all');
  const out: string[] = [];
  for (const name of given) {
    const expanded = name === 'all' && !hasAll ? components.filter((c) => c.state !== 'disabled').map((c) => c.name) : [name];
    for (const n of expanded) if (!out.includes(n)) out.push(n);
  }
  return out;
}
