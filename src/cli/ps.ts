import type { ComponentInfo } from '../supervisor/types.js';
import { parseArgs, useColor } from './args.js';
import { apiRequest, findDaemon } from './daemon-client.js';
import { renderComponents } from './format.js';
import { runCommand } from './run-command.js';

/** `corral ps [--json]`: one row per component. */
export function run(args: string[]): Promise<number> {
  return runCommand(async () => {
    const { flags } = parseArgs(args, { json: 'boolean' });
    const target = findDaemon(flags.config as string | undefined);
    const res = await apiRequest<{ components: ComponentInfo[] } | ComponentInfo[]>(target, 'GET', '/api/components');
    if (res.status !== 200) {
      process.stderr.write(`corral ps: the daemon answered ${res.status}: ${JSON.stringify(res.body)}\n`);
      return 1;
    }
    const components = Array.isArray(res.body) ? res.body : res.body.components;
    if (flags.json) process.stdout.write(`${JSON.stringify(components)}\n`);
    else process.stdout.write(renderComponents(components, useColor()));
    return 0;
  });
}
