import type { ReloadResult } from '../supervisor/types.js';
import { UsageError, parseArgs, useColor } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { displayPath, formatIssue, plural } from './format.js';
import { runCommand } from './run-command.js';
import type { ComponentInfo } from '../supervisor/types.js';

/** `corral start|stop|restart NAME...` and `corral reload`. */
export function run(args: string[], command: string): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    const target = findDaemon(flags.config as string | undefined);
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
    if (positionals.length === 0) throw new UsageError(`usage: corral ${command} NAME...`);
    // Act on every name at once; each component's own state machine serialises its commands.
    const results = await Promise.all(
      positionals.map(async (name) => {
        const res = await apiRequest<{ error?: string; message?: string; component?: ComponentInfo | null }>(target, 'POST', `/api/components/${encodeURIComponent(name)}/${command}`, undefined, 120_000);
        return { name, res };
      }),
    );
    let code = 0;
    // A name the daemon does not know: list the ones it does, as `corral logs` and `attach` do.
    let known: Promise<string> | null = null;
    const knownNames = () =>
      (known ??= apiRequest<{ components?: ComponentInfo[] }>(target, 'GET', '/api/components')
        .then((r) => (r.status === 200 ? (r.body?.components ?? []).map((c) => c.name) : []))
        .catch(() => [] as string[])
        .then((names) => (names.length > 0 ? `; the components are: ${names.join(', ')}` : '')));
    for (const { name, res } of results) {
      const after = res.body?.component;
      if (res.status >= 200 && res.status < 300 && command !== 'stop' && (after?.state === 'pending' || after?.state === 'failed')) {
        // Accepted, but it does not run: waiting for a dependency (it starts once that holds), or it failed to start.
        code = 1;
        process.stderr.write(`${name}: not running: ${after.state}${after.reason ? ` (${after.reason})` : ''}\n`);
      } else if (res.status >= 200 && res.status < 300) process.stdout.write(`${name}: ${command === 'stop' ? 'stopped' : command === 'start' ? 'started' : 'restarted'}\n`);
      else {
        code = res.status === 404 ? 2 : 1;
        const names = res.status === 404 ? await knownNames() : '';
        process.stderr.write(`${name}: ${res.body?.error ?? res.body?.message ?? `HTTP ${res.status}`}${names}\n`);
      }
    }
    return code;
  });
}
