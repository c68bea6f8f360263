import type { ComponentConfig } from './schema.js';

/**
 * The entries of each replica of an entry whose strings use CORRAL_REPLICA
 * or CORRAL_COMPONENT (`PORT: "300${CORRAL_REPLICA}"`), each interpolated
 * with its own values by the loader (src/config/env.ts); keyed by the
 * entry's parsed object, which src/config/replicas.ts expands.
 */
const entries = new WeakMap<ComponentConfig, readonly ComponentConfig[]>();

export function setReplicaEntries(base: ComponentConfig, list: readonly ComponentConfig[]): void {
  entries.set(base, list);
}

/** Replica `index` (1-based) of `base` as the loader interpolated it, when it did. */
export function replicaEntry(base: ComponentConfig, index: number): ComponentConfig | undefined {
  return entries.get(base)?.[index - 1];
}
