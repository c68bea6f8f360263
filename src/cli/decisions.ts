import type { PendingDecision } from '../hooks/decisions.js';
import { UsageError, parseArgs } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { runCommand } from './run-command.js';

function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** `corral decisions [--json]`, `corral approve ID [--reason R]`, `corral deny ID [--reason R]`. */
export function run(args: string[], command: string): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, command === 'decisions' ? { json: 'boolean' } : { reason: 'value' }, { r: 'reason' });
    const target = findDaemon(flags.config as string | undefined);
    if (command === 'decisions') {
      if (positionals.length > 0) throw new UsageError(`decisions takes no names (got ${JSON.stringify(positionals[0])}); usage: corral decisions [--json]`);
      const res = await apiRequest<{ decisions?: PendingDecision[]; error?: string }>(target, 'GET', '/api/decisions');
      if (res.status !== 200) {
        process.stderr.write(`corral decisions: ${res.body?.error ?? `HTTP ${res.status}`}\n`);
        return 1;
      }
      const list = res.body?.decisions ?? [];
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return 0;
      }
      if (list.length === 0) {
        process.stdout.write('no decisions pending\n');
        return 0;
      }
      const now = Date.now();
      for (const d of list) {
        process.stdout.write(`${d.decision_id}  ${d.tool} (${d.hook}, ${d.rule})  session ${d.session_id.slice(0, 8)}  waiting ${age(now - d.created_at)}, default in ${age(d.expires_at - now)}\n`);
        process.stdout.write(`    ${d.question}${d.input ? `\n    ${d.input}` : ''}\n`);
      }
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(`usage: corral ${command} ID${command === 'deny' ? ' [--reason R]' : ''} (corral decisions lists the IDs)`);
    const body = typeof flags.reason === 'string' ? { reason: flags.reason } : {};
    const res = await apiRequest<{ error?: string; decision_id?: string; reason?: string }>(target, 'POST', `/api/decisions/${encodeURIComponent(positionals[0]!)}/${command}`, body);
    if (res.status === 200) {
      process.stdout.write(`${res.body?.decision_id}: ${command === 'approve' ? 'allowed' : 'denied'} (${res.body?.reason})\n`);
      return 0;
    }
    process.stderr.write(`corral ${command}: ${res.body?.error ?? `HTTP ${res.status}`}\n`);
    return res.status === 404 ? 2 : 1;
  });
}
