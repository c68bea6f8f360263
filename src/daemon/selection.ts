import type { CorralConfig } from '../config/schema.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { checkSelection, componentsNamed, EVERYTHING, selectedNames, withDependants, type Selection } from '../supervisor/selection.js';

/**
 * The daemon's selection: what the last `corral up` asked to run (names, or
 * profiles). It holds until the next `up` (a reload keeps it), and decides
 * whether a component a reload adds or enables starts or is `inactive`.
 */
export interface SelectionHolder {
  /** Whether the current selection runs this component (of the current config). */
  selected(name: string): boolean;
  /** The active profiles. */
  profiles(): string[];
  /** `corral up NAME... --profile P` on a running daemon: the new selection, started; `starting` lists what it runs. */
  up(selection: Selection): Promise<{ starting: string[] }>;
  /** `corral down NAME...`: those and what depends on them, stopped (dependants first); the daemon keeps running. */
  down(names: string[]): Promise<{ stopping: string[] }>;
}

/** Throws SelectionError when `selection` names a component or profile `config` does not have. */
export function checkInitialSelection(config: CorralConfig, selection: Selection): void {
  checkSelection(config.components, selection);
}

export function createSelectionHolder(initial: Selection | undefined, config: () => CorralConfig, supervisor: () => Supervisor): SelectionHolder {
  let current: Selection = initial ?? EVERYTHING;
  // The selected set of one config, computed once per config (a reload gives a new object).
  let cache: { config: CorralConfig; selection: Selection; names: Set<string> } | null = null;
  const names = (): Set<string> => {
    const c = config();
    if (cache?.config !== c || cache.selection !== current) cache = { config: c, selection: current, names: selectedNames(c.components, current) };
    return cache.names;
  };
  return {
    selected: (name) => names().has(name),
    profiles: () => [...current.profiles],
    async up(selection) {
      checkSelection(config().components, selection);
      current = { names: [...selection.names], profiles: [...selection.profiles] };
      const starting = [...names()];
      await supervisor().startSome(starting);
      return { starting };
    },
    async down(given) {
      const components = config().components;
      const stopping = withDependants(components, componentsNamed(components, given));
      await supervisor().stopSome(stopping, `corral down ${given.join(' ')}`);
      return { stopping };
    },
  };
}
