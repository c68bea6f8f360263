import { readFile } from 'node:fs/promises';
import { parseArgs, UsageError } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { exitCodeOf } from '../errors.js';
import { commandUsage, usageLine } from './main.js';

const USAGE = usageLine('emit');

/**
 * The text of `--payload`: JSON as given, `@FILE` read from FILE, `-` read
 * from stdin (a payload too big for the command line: `Argument list too long`).
 */
async function payloadText(arg: string): Promise<{ text: string; from: string }> {
  if (arg === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), from: '--payload - (stdin)' };
  }
  if (!arg.startsWith('@')) return { text: arg, from: '--payload' };
  const file = arg.slice(1);
  try {
    return { text: await readFile(file, 'utf8'), from: `--payload ${arg}` };
  } catch (err) {
    throw new UsageError(`--payload ${arg}: cannot read ${JSON.stringify(file)} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function parsePayload({ text, from }: { text: string; from: string }): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${from} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${from} must be a JSON object (got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`);
  }
  return value as Record<string, unknown>;
}

/** `corral emit TYPE`: publishes one event through `POST /events`; prints its id once stored. */
export async function run(args: string[]): Promise<number> {
  let body: Record<string, unknown>;
  let flags: Record<string, string | boolean>;
  try {
    const parsed = parseArgs(args, { payload: 'value', source: 'value', session: 'value', json: 'boolean', help: 'boolean' }, { p: 'payload', h: 'help' });
    flags = parsed.flags;
    if (flags.help) {
      process.stdout.write(commandUsage('emit'));
      return 0;
    }
    const [type, ...extra] = parsed.positionals;
    if (!type) throw new UsageError('missing the event TYPE (e.g. corral emit deploy.finished)');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    body = {
      event_type: type,
      source: typeof flags.source === 'string' ? flags.source : 'cli',
      session_id: typeof flags.session === 'string' ? flags.session : 'cli',
      payload: typeof flags.payload === 'string' ? parsePayload(await payloadText(flags.payload)) : {},
    };
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`corral emit: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  try {
    const target = findDaemon(typeof flags.config === 'string' ? flags.config : undefined);
    const res = await apiRequest<{ ids?: string[]; seqs?: number[]; error?: string }>(target, 'POST', '/events', body);
    if (res.status >= 200 && res.status < 300) {
      const id = res.body?.ids?.[0] ?? '';
      const seq = res.body?.seqs?.[0];
      process.stdout.write(flags.json ? `${JSON.stringify({ id, seq })}\n` : `${id}\n`);
      return 0;
    }
    // Refused by the daemon (a reserved type, a field the schema rejects): the command failed. Exit 2 is for usage found wrong here.
    process.stderr.write(`corral emit: the daemon refused the event (HTTP ${res.status}): ${res.body?.error ?? JSON.stringify(res.body)}\n`);
    return 1;
  } catch (err) {
    process.stderr.write(`corral emit: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
}
