import type { ComponentInfo } from '../supervisor/types.js';
import { parseArgs, useColor } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { renderComponents } from './format.js';
import { runCommand } from './run-command.js';
import { federationLine, fetchFederation, renderHosts, type HostTable } from './ps-hosts.js';

/** `corral ps --all-hosts [--json]`: every federated host's last published table, with its age. */
async function allHosts(target: ReturnType<typeof findDaemon>, json: boolean): Promise<number> {
  const res = await apiRequest<{ hosts?: HostTable[]; error?: string }>(target, 'GET', '/federation/hosts');
  if (res.status !== 200 || !Array.isArray(res.body?.hosts)) {
    process.stderr.write(`corral ps --all-hosts: ${res.body?.error ?? `the daemon answered ${res.status}`}\n`);
    return 1;
  }
  process.stdout.write(json ? `${JSON.stringify(res.body.hosts)}\n` : renderHosts(res.body.hosts));
  return 0;
}

/** `corral ps [NAME...] [--json] [--all-hosts]`: one row per component, or per named one (NAME of an entry with `replicas`: each replica); with federation on, a line on its link. */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags, positionals } = parseArgs(args, { json: 'boolean', 'all-hosts': 'boolean' });
    const target = findDaemon(flags.config as string | undefined);
    if (flags['all-hosts']) return allHosts(target, flags.json === true);
    const res = await apiRequest<{ components: ComponentInfo[] } | ComponentInfo[]>(target, 'GET', '/api/components');
    if (res.status !== 200) {
      process.stderr.write(`corral ps: the daemon answered ${res.status}: ${JSON.stringify(res.body)}\n`);
      return 1;
    }
    const all = Array.isArray(res.body) ? res.body : res.body.components;
    const components = positionals.length > 0 ? pick(all, positionals) : all;
    if (components === null) return 2;
    if (flags.json) process.stdout.write(`${JSON.stringify(components)}\n`);
    else {
      process.stdout.write(renderComponents(components, useColor(), process.stdout.isTTY ? process.stdout.columns || 80 : undefined));
      const line = federationLine(await fetchFederation(target).catch(() => undefined));
      if (line) process.stdout.write(`${line}\n`);
    }
    return 0;
  });
}

/** The rows of these names, in the daemon's order; null (said on stderr, with the names there are) when one is unknown. */
function pick(all: ComponentInfo[], names: string[]): ComponentInfo[] | null {
  const matches = (c: ComponentInfo, n: string) => c.name === n || c.replica_of === n;
  const unknown = names.filter((n) => !all.some((c) => matches(c, n)));
  if (unknown.length > 0) {
    const listed = unknown.map((n) => `"${n}"`).join(', ');
    const known = all.map((c) => c.name);
    process.stderr.write(`corral ps: no component${unknown.length > 1 ? 's' : ''} named ${listed}; the components are: ${known.length > 0 ? known.join(', ') : '(none)'}\n`);
    return null;
  }
  return all.filter((c) => names.some((n) => matches(c, n)));
}
