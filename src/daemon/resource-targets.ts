import type { CorralConfig } from '../config/schema.js';
import type { ResourceTarget } from '../resources/monitor.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/**
 * What the resource monitor samples: every running component's groups. The
 * ecosystem-wide thresholds are a fallback per metric: a component that sets
 * `memory` keeps its own memory thresholds (as a whole) and still gets the
 * global `cpu` ones when it sets none, and the same for `samples`.
 */
export function resourceTargets(config: CorralConfig, supervisor: Pick<Supervisor, 'list' | 'pidsOf'>): ResourceTarget[] {
  const global = config.resources;
  return supervisor
    .list()
    .filter((c) => c.pid !== null)
    .map((c) => {
      const own = config.components[c.name]?.resources;
      return {
        name: c.name,
        pids: supervisor.pidsOf(c.name),
        limits: {
          memory: own?.memory ?? global.memory,
          cpu: own?.cpu ?? global.cpu,
        },
        samples: own?.samples ?? global.samples,
        onCritical: own?.on_critical ?? 'alert',
      };
    });
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
