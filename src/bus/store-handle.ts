import type { EventStore } from './types.js';

/** An event store whose database can be replaced while the bus and the server keep their reference. */
export interface StoreHandle extends EventStore {
  /** Serves `next` from now on and returns the store it replaces (for the caller to close). */
  replace(next: EventStore): EventStore;
}

/**
 * Forwards every call to the current store. The daemon replaces it when its
 * database was deleted under it (the state directory removed while corral
 * runs): appends into an unlinked file would be acknowledged and lost.
 */
export function createStoreHandle(initial: EventStore): StoreHandle {
  let current = initial;
  return {
    append: (entry) => current.append(entry),
    query: (filter, options) => current.query(filter, options),
    // The bus numbers events on; a new database keeps the numbering (its own last seq starts at 0).
    lastSeq: () => current.lastSeq(),
    filterOptions: () => current.filterOptions(),
    pending: () => current.pending(),
    flush: () => current.flush(),
    prune: () => current.prune(),
    setRetention: (retention) => current.setRetention?.(retention),
    hasId: (id) => current.hasId?.(id) ?? false,
    count: (filter) => current.count?.(filter) ?? 0,
    getMeta: (key) => current.getMeta?.(key),
    setMeta: (key, value) => current.setMeta?.(key, value),
    close: () => current.close(),
    replace(next) {
      const old = current;
      current = next;
      return old;
    },
  };
}
