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

/** `corral ps [--json] [--all-hosts]`: one row per component; with federation on, a line on its link. */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags } = parseArgs(args, { json: 'boolean', 'all-hosts': 'boolean' });
    const target = findDaemon(flags.config as string | undefined);
    if (flags['all-hosts']) return allHosts(target, flags.json === true);
    const res = await apiRequest<{ components: ComponentInfo[] } | ComponentInfo[]>(target, 'GET', '/api/components');
    if (res.status !== 200) {
      process.stderr.write(`corral ps: the daemon answered ${res.status}: ${JSON.stringify(res.body)}\n`);
      return 1;
    }
    const components = Array.isArray(res.body) ? res.body : res.body.components;
    if (flags.json) process.stdout.write(`${JSON.stringify(components)}\n`);
    else {
      process.stdout.write(renderComponents(components, useColor()));
      const line = federationLine(await fetchFederation(target).catch(() => undefined));
      if (line) process.stdout.write(`${line}\n`);
    }
    return 0;
  });
}
