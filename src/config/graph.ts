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
  // Where each open name sits on the walk: a cycle's start is found without a scan of the walk.
  const depth = new Map<string, number>();
  const walk: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  // Iterative depth-first walk: a chain of thousands of dependencies must not overflow the stack.
  const frames: { name: string; deps: string[]; next: number }[] = [];
  const open = (name: string): void => {
    state.set(name, 'open');
    depth.set(name, walk.length);
    walk.push(name);
    frames.push({ name, deps: [...(graph[name] ?? [])].sort(), next: 0 });
  };
  for (const root of Object.keys(graph).sort()) {
    if (state.has(root)) continue;
    open(root);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.next >= frame.deps.length) {
        frames.pop();
        walk.pop();
        state.set(frame.name, 'done');
        continue;
      }
      const dep = frame.deps[frame.next++]!;
      if (!(dep in graph)) continue;
      const s = state.get(dep);
      if (s === undefined) open(dep);
      else if (s === 'open') {
        const loop = walk.slice(depth.get(dep));
        const first = loop.reduce((a, b) => (b < a ? b : a));
        const start = loop.indexOf(first);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        const key = rotated.join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push([...rotated, rotated[0]!]);
        }
      }
    }
  }
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
  // Kahn's algorithm by levels: each name is placed once and each edge looked at once (a long
  // chain of dependencies was quadratic when every level rescanned the names left).
  const waiting = new Map<string, number>();
  const dependants = new Map<string, string[]>();
  for (const name of Object.keys(graph)) {
    const deps = new Set((graph[name] ?? []).filter((dep) => dep in graph));
    waiting.set(name, deps.size);
    for (const dep of deps) {
      const list = dependants.get(dep);
      if (list) list.push(name);
      else dependants.set(dep, [name]);
    }
  }
  const levels: string[][] = [];
  let level = [...waiting].filter(([, n]) => n === 0).map(([name]) => name);
  let placed = 0;
  while (level.length > 0) {
    level.sort();
    levels.push(level);
    placed += level.length;
    const next: string[] = [];
    for (const name of level) {
      for (const d of dependants.get(name) ?? []) {
        const left = waiting.get(d)! - 1;
        waiting.set(d, left);
        if (left === 0) next.push(d);
      }
    }
    level = next;
  }
  if (placed < waiting.size) {
    const cycle = findCycles(graph)[0] ?? [...waiting].filter(([, n]) => n > 0).map(([name]) => name);
    throw new Error(`dependency cycle: ${cycle.join(' → ')}`);
  }
  return levels;
}
