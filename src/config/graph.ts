import type { CorralConfig } from './schema.js';

/** Each component's dependencies by name. */
export type DependencyGraph = Record<string, readonly string[]>;

/** The dependency graph of a config; disabled components are left out unless asked for. */
export function dependencyGraph(config: Pick<CorralConfig, 'components'>, opts: { includeDisabled?: boolean } = {}): DependencyGraph {
  const graph: Record<string, string[]> = {};
  for (const [name, component] of Object.entries(config.components)) {
    if (!component.enabled && !opts.includeDisabled) continue;
    graph[name] = Object.keys(component.depends_on);
  }
  return graph;
}

/**
 * Every dependency cycle, each as the walk that closes it (`['a', 'b', 'a']`),
 * starting at its alphabetically first member so each is reported once.
 * Names not in the graph are ignored (unknown names are a separate error).
 */
export function findCycles(graph: DependencyGraph): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    for (const dep of [...(graph[name] ?? [])].sort()) {
      if (!(dep in graph)) continue;
      const s = state.get(dep);
      if (s === 'open') {
        const loop = stack.slice(stack.indexOf(dep));
        const start = loop.indexOf([...loop].sort()[0]!);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        const key = rotated.join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...rotated, rotated[0]!]);
        }
      } else if (s === undefined) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(graph).sort()) if (!state.has(name)) visit(name);
  return cycles;
}

/**
 * Start order in levels: every component of a level depends only on
 * components of earlier levels, so a level's members can start in parallel.
 * Stop in the reverse order. Names inside a level are sorted. Throws on a
 * cycle (a validated config has none).
 */
export function topoOrder(config: Pick<CorralConfig, 'components'>, opts: { includeDisabled?: boolean } = {}): string[][] {
  return levelsOf(dependencyGraph(config, opts));
}

/** `topoOrder` for a bare graph; dependencies on names outside the graph are ignored. */
export function levelsOf(graph: DependencyGraph): string[][] {
  const placed = new Set<string>();
  const levels: string[][] = [];
  let remaining = Object.keys(graph).sort();
  while (remaining.length > 0) {
    const level = remaining.filter((name) => (graph[name] ?? []).every((dep) => placed.has(dep) || !(dep in graph)));
    if (level.length === 0) {
      const cycle = findCycles(graph)[0] ?? remaining;
      throw new Error(`dependency cycle: ${cycle.join(' → ')}`);
    }
    for (const name of level) placed.add(name);
    levels.push(level);
    remaining = remaining.filter((name) => !placed.has(name));
  }
  return levels;
}
