import type { CorralConfig } from '../config/schema.js';
import type { ResourceTarget } from '../resources/monitor.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/**
 * What the resource monitor samples: every running component's groups. The
 * ecosystem-wide thresholds are a fallback per metric: a component that sets
 * `memory` keeps its own memory thresholds (as a whole) and still gets the
 * global `cpu` ones when it sets none, and the same for `samples`.
 */
export function resourceTargets(config: CorralConfig, supervisor: Pick<Supervisor, 'pidsOf'>): ResourceTarget[] {
  // Runs every pass, in a daemon that is interpreted (DAEMON_V8_FLAGS): only the
  // group leaders are asked for, not each component's whole status.
  const global = config.resources;
  const targets: ResourceTarget[] = [];
  for (const name of Object.keys(config.components)) {
    const pids = supervisor.pidsOf(name);
    if (pids.length === 0) continue;
    const own = config.components[name]!.resources;
    targets.push({
      name,
      pids,
      limits: {
        memory: own?.memory ?? global.memory,
        cpu: own?.cpu ?? global.cpu,
      },
      samples: own?.samples ?? global.samples,
      onCritical: own?.on_critical ?? 'alert',
    });
  }
  return targets;
}

/**
 * The daemon's own target (component `corral`): judged like a component that
 * sets nothing, by the ecosystem-wide thresholds and `samples`. Read from the
 * config in force at every pass, so a reload applies to it too.
 */
export function selfTarget(config: CorralConfig): Pick<ResourceTarget, 'limits' | 'samples'> {
  const global = config.resources;
  return { limits: { memory: global.memory, cpu: global.cpu }, samples: global.samples };
}
