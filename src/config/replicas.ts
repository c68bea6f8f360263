import type { LoadResult } from './load.js';
import type { ComponentConfig, CorralConfig } from './schema.js';
import { replicaEntry } from './replica-entries.js';

/**
 * `replicas: N` (src/config/schema.ts): one entry becomes N components named
 * NAME-1 … NAME-N, each with `CORRAL_REPLICA` (1 … N) in its env (the plugin
 * host adds `CORRAL_COMPONENT`, the replica's own name). Everything after the
 * load (the supervisor, the reload diff, the resource monitor) sees only the
 * expanded config, so a reload that changes N adds or removes only the
 * difference: the other replicas' entries are unchanged.
 */

/** Base name → its replicas' names, per expanded `components` record (kept by identity through `{ ...config }` copies). */
const sets = new WeakMap<object, ReadonlyMap<string, readonly string[]>>();

/** `web`, 2 → `web-2`. */
export const replicaName = (base: string, index: number): string => `${base}-${index}`;

/** The replicas of `name` when it is a base with `replicas`, else undefined. */
export function replicasOf(components: CorralConfig['components'], name: string): readonly string[] | undefined {
  return sets.get(components)?.get(name);
}

/** The entry `name` is a replica of, when it is one. */
export function replicaBase(components: CorralConfig['components'], name: string): string | undefined {
  for (const [base, names] of sets.get(components) ?? []) if (names.includes(name)) return base;
  return undefined;
}

/** The config with every entry that has `replicas` replaced by its replicas; `depends_on` a base means every replica. */
export function expandReplicas(config: CorralConfig): CorralConfig {
  const bases = new Map<string, string[]>();
  for (const [name, c] of Object.entries(config.components)) {
    if (c.replicas !== undefined) bases.set(name, Array.from({ length: c.replicas }, (_, i) => replicaName(name, i + 1)));
  }
  if (bases.size === 0) return config;
  const deps = (dependsOn: ComponentConfig['depends_on']): ComponentConfig['depends_on'] => {
    const out: ComponentConfig['depends_on'] = {};
    for (const [dep, condition] of Object.entries(dependsOn)) {
      for (const target of bases.get(dep) ?? [dep]) out[target] = condition;
    }
    return out;
  };
  const components: CorralConfig['components'] = {};
  for (const [name, c] of Object.entries(config.components)) {
    const { replicas, ...entry } = c;
    if (replicas === undefined) {
      components[name] = { ...c, depends_on: deps(c.depends_on) };
      continue;
    }
    for (let i = 1; i <= replicas; i++) {
      // Interpolated with this replica's CORRAL_REPLICA when its strings use it (src/config/env.ts).
      const own = replicaEntry(c, i) ?? c;
      components[replicaName(name, i)] = {
        ...entry,
        ...(own !== c ? { command: own.command, cwd: own.cwd, health: own.health } : {}),
        depends_on: deps(c.depends_on),
        env: { ...own.env, CORRAL_REPLICA: String(i) },
        // A tmux component's replicas each get a window: its own name, or the configured window's name with the index.
        ...(c.window !== undefined ? { window: replicaName(c.window, i) } : {}),
      };
    }
  }
  sets.set(components, bases);
  return { ...config, components };
}

/** A load result with its config expanded (an invalid one as it is). */
export function withReplicas<T extends LoadResult>(result: T): T {
  return result.ok ? { ...result, config: expandReplicas(result.config) } : result;
}
