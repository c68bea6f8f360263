import type { TestResult } from '../notify/notifier.js';
import { UsageError, parseArgs } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { runCommand } from './run-command.js';

/** `corral notify test [RULE]`: a sample through one rule (or each) of the running daemon; exit 1 when one was not delivered. */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, {});
    if (positionals[0] !== 'test' || positionals.length > 2) throw new UsageError('usage: corral notify test [RULE]');
    const target = findDaemon(flags.config as string | undefined);
    const res = await apiRequest<{ results?: TestResult[]; error?: string }>(target, 'POST', '/api/notify/test', positionals[1] ? { rule: positionals[1] } : {}, 120_000);
    if (!res.body?.results) {
      process.stderr.write(`corral notify test: ${res.body?.error ?? `HTTP ${res.status}`}\n`);
      return res.status === 404 ? 2 : 1;
    }
    for (const r of res.body.results) {
      if (r.ok) process.stdout.write(`${r.rule}: sent (${r.destination})\n`);
      else process.stderr.write(`${r.rule}: failed (${r.destination}): ${r.error}\n`);
    }
    return res.body.results.every((r) => r.ok) ? 0 : 1;
  }, 'notify');
}
