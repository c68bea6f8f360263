import { describe, expect, it } from 'vitest';
import { ConfigSchema, type CorralConfigInput } from '../../../src/config/schema.js';
import { resourceTargets, selfTarget } from '../../../src/daemon/resource-targets.js';
import type { ComponentInfo } from '../../../src/supervisor/types.js';

const MB = 1024 * 1024;

/** The part of the supervisor resourceTargets reads: who runs (a pid) and each one's group leaders. */
function supervisorOf(running: Record<string, number[] | null>) {
  return {
    list: () => Object.entries(running).map(([name, pids]) => ({ name, pid: pids?.[0] ?? null }) as ComponentInfo),
    pidsOf: (name: string) => running[name] ?? [],
  };
}

const parse = (input: CorralConfigInput) => ConfigSchema.parse(input);

describe('resource targets', () => {
  const global = { samples: 4, memory: { warning: '100MB', critical: '200MB' }, cpu: { warning: 50, for: '5s' } };

  it('a component with its own thresholds keeps them, with its own samples and on_critical', () => {
    const config = parse({
      resources: global,
      components: {
        api: {
          command: 'sleep 1000',
          resources: { memory: { warning: '1GB' }, cpu: { critical: 90 }, samples: 2, on_critical: 'restart' },
        },
      },
    });
    expect(resourceTargets(config, supervisorOf({ api: [11, 12] }))).toEqual([
      {
        name: 'api',
        pids: [11, 12],
        limits: { memory: { warning: 1024 * MB }, cpu: { critical: 90, for: 0 } },
        samples: 2,
        onCritical: 'restart',
      },
    ]);
  });

  it('a component that sets none falls back to the top-level resources thresholds and samples', () => {
    const config = parse({ resources: global, components: { plain: { command: 'sleep 1000' } } });
    expect(resourceTargets(config, supervisorOf({ plain: [21] }))).toEqual([
      {
        name: 'plain',
        pids: [21],
        limits: { memory: { warning: 100 * MB, critical: 200 * MB }, cpu: { warning: 50, for: 5000 } },
        samples: 4,
        onCritical: 'alert',
      },
    ]);
  });

  it('falls back per metric: own memory with the global cpu, own cpu with the global memory', () => {
    const config = parse({
      resources: global,
      components: {
        mem: { command: 'sleep 1000', resources: { memory: { critical: '300MB' } } },
        cpu: { command: 'sleep 1000', resources: { cpu: { warning: 10 } } },
      },
    });
    const [mem, cpu] = resourceTargets(config, supervisorOf({ mem: [31], cpu: [32] }));
    // Within one metric the component's thresholds replace the global ones as a whole: no global memory warning here.
    expect(mem!.limits).toEqual({ memory: { critical: 300 * MB }, cpu: { warning: 50, for: 5000 } });
    expect(cpu!.limits).toEqual({ memory: { warning: 100 * MB, critical: 200 * MB }, cpu: { warning: 10, for: 0 } });
    expect([mem!.samples, cpu!.samples]).toEqual([4, 4]);
  });

  it('no thresholds anywhere: no limits, the default samples; a component without a pid is not a target', () => {
    const config = parse({ components: { up: { command: 'sleep 1000' }, down: { command: 'sleep 1000' } } });
    expect(resourceTargets(config, supervisorOf({ up: [41], down: null }))).toEqual([
      { name: 'up', pids: [41], limits: { memory: undefined, cpu: undefined }, samples: 3, onCritical: 'alert' },
    ]);
  });

  it("the daemon's own target (corral) takes the top-level thresholds and samples, whatever the components set", () => {
    const config = parse({
      resources: global,
      components: { api: { command: 'sleep 1000', resources: { memory: { warning: '1GB' }, samples: 1 } } },
    });
    expect(selfTarget(config)).toEqual({
      limits: { memory: { warning: 100 * MB, critical: 200 * MB }, cpu: { warning: 50, for: 5000 } },
      samples: 4,
    });
    expect(selfTarget(parse({}))).toEqual({ limits: { memory: undefined, cpu: undefined }, samples: 3 });
  });
});
