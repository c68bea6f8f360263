import { resolve } from 'node:path';
import type { Logger } from '../runners/types.js';
import type { Component } from './component.js';
import { startFileWatch, type FileWatch } from './file-watch.js';

/**
 * The file watchers of the components with `watch:` (src/supervisor/file-watch.ts):
 * one per component that is not stopped or disabled, so a crashed or failed
 * one is restarted by the fix that is saved, while one stopped by a user (or
 * removed) watches nothing. A changed `watch` or `cwd` replaces the watcher.
 */
export function createWatchers(opts: { components: Map<string, Component>; configDir?: string; logger?: Logger }) {
  const live = new Map<string, { key: string; watch: FileWatch }>();
  const closing = new Set<Promise<void>>();

  const close = (name: string) => {
    const w = live.get(name);
    if (!w) return;
    live.delete(name);
    const p = w.watch.close().finally(() => closing.delete(p));
    closing.add(p);
  };

  const restartFor = (c: Component, cause: string) => {
    if (opts.components.get(c.name) !== c || c.state === 'stopped' || c.state === 'disabled' || c.state === 'stopping') return;
    c.restart(cause).catch((err: unknown) => opts.logger?.warn(`${c.name}: restart after a file change failed: ${(err as Error).message}`));
  };

  const sync = (c: Component) => {
    const config = c.config;
    // `stopped` inside a restart (a start is pending) keeps the watcher: a save during the restart is still seen.
    const off = c.state === 'disabled' || (c.state === 'stopped' && !c.startPending);
    const wanted = opts.components.get(c.name) === c && config.watch !== undefined && !off;
    const key = wanted ? JSON.stringify([config.watch, config.cwd]) : null;
    const have = live.get(c.name);
    if (have?.key === key) return;
    close(c.name);
    if (key === null || config.watch === undefined) return;
    const cwd = resolve(opts.configDir ?? process.cwd(), config.cwd ?? '.');
    const watch = startFileWatch({
      cwd,
      watch: config.watch,
      onChange: (cause) => restartFor(c, cause),
      onError: (err) => opts.logger?.warn(`${c.name}: file watch: ${err.message}`),
    });
    live.set(c.name, { key, watch });
  };

  return {
    sync,
    /** After a reload: every component's watcher follows its config; those of removed components close. */
    syncAll() {
      for (const name of [...live.keys()]) if (!opts.components.has(name)) close(name);
      for (const c of opts.components.values()) sync(c);
    },
    /** Settles when the component's watcher has done its first scan (tests; nothing when it has none). */
    ready(name: string): Promise<void> {
      return live.get(name)?.watch.ready ?? Promise.resolve();
    },
    async closeAll() {
      for (const name of [...live.keys()]) close(name);
      await Promise.all([...closing]);
    },
  };
}
