import type { CorralConfig } from '../config/schema.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** What the resource monitor samples: every running component's groups, with its limits over the global ones. */
export function resourceTargets(config: CorralConfig, supervisor: Supervisor) {
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
