import { UsageError, parseArgs } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { runCommand } from './run-command.js';

/** `corral start|stop|restart NAME...` and `corral reload`. */
export function run(args: string[], command: string): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    const target = findDaemon(flags.config as string | undefined);
    if (command === 'reload') {
      const res = await apiRequest<{ ok?: boolean; message?: string; error?: string }>(target, 'POST', '/api/reload');
      const msg = res.body?.message ?? res.body?.error ?? JSON.stringify(res.body);
      (res.status === 200 && res.body?.ok !== false ? process.stdout : process.stderr).write(`${msg}\n`);
      return res.status === 200 && res.body?.ok !== false ? 0 : 1;
    }
    if (positionals.length === 0) throw new UsageError(`usage: corral ${command} NAME...`);
    // Act on every name at once; each component's own state machine serialises its commands.
    const results = await Promise.all(
      positionals.map(async (name) => {
        const res = await apiRequest<{ error?: string; message?: string }>(target, 'POST', `/api/components/${encodeURIComponent(name)}/${command}`, undefined, 120_000);
        return { name, res };
      }),
    );
    let code = 0;
    for (const { name, res } of results) {
      if (res.status >= 200 && res.status < 300) process.stdout.write(`${name}: ${command === 'stop' ? 'stopped' : command === 'start' ? 'started' : 'restarted'}\n`);
      else {
        code = res.status === 404 ? 2 : 1;
        process.stderr.write(`${name}: ${res.body?.error ?? res.body?.message ?? `HTTP ${res.status}`}\n`);
      }
    }
    return code;
  });
}
