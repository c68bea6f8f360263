import { dirname, resolve } from 'node:path';
import { watch } from 'chokidar';
import { loadConfig, type LoadError, type LoadOk, type LoadOptions } from './load.js';
import { planReload, type ReloadPlan } from './diff.js';
import type { CorralConfig } from './schema.js';

/** Quiet period after the last file event before the file is read; also how long an invalid result is held back. */
export const DEFAULT_DEBOUNCE_MS = 150;

/** What a save produced: a valid config with its plan against the last good one, or every error. */
export type WatchResult = (LoadOk & { plan: ReloadPlan | null }) | LoadError;

export interface WatchOptions extends LoadOptions {
  /** Called once per settled save whose result differs from the last one reported. */
  onChange(result: WatchResult): void;
  /** Quiet period after the last file event before the file is read (default DEFAULT_DEBOUNCE_MS). */
  debounceMs?: number;
  /**
   * The config already applied. Without it the watcher reads the file once at
   * start, which misses a save made between the caller's load and that read.
   */
  initial?: { hash: string; config: CorralConfig; envFiles?: string[] };
  /** Watcher failures (e.g. the directory vanished) and exceptions thrown by onChange; default: ignored. */
  onError?(err: Error): void;
}

export interface ConfigWatcher {
  /** Settles once the watcher is listening (and the initial file is read). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Watches a config file for saves. The directory is watched, not the file, so
 * an editor's write-to-temp-then-rename is a change rather than a deletion.
 * Events are debounced; a result identical to the last applied config (same
 * hash) is not reported, and an invalid result is held for one more quiet
 * period so a file caught half-written is never reported if its completion follows.
 */
export function watchConfig(file: string, opts: WatchOptions): ConfigWatcher {
  const path = resolve(file);
  const dir = dirname(path);
  const debounceMs = opts.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let last: { hash: string; config: CorralConfig } | null = opts.initial ?? null;
  let lastHash: string | null = last?.hash ?? null;
  let timer: NodeJS.Timeout | undefined;
  let heldError: NodeJS.Timeout | undefined;
  let closed = false;
  let running: Promise<void> = Promise.resolve();
  let rerun = false;
  let busy = false;

  // The config's env files (`env_file`) are watched too: a changed value is a changed env.
  const files = new Set([path]);
  const dirs = new Set([dir]);
  const watcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    // Only the config file and its env files matter; their siblings (and the editor's temp files) are not even tracked.
    ignored: (p: string) => !dirs.has(resolve(p)) && !files.has(resolve(p)),
    atomic: true,
  });
  const watchEnvFiles = (envFiles: readonly string[] = []): void => {
    for (const f of envFiles) {
      files.add(f);
      if (dirs.has(dirname(f))) continue;
      dirs.add(dirname(f));
      watcher.add(dirname(f));
    }
  };
  watchEnvFiles(opts.initial?.envFiles);

  const schedule = (): void => {
    if (closed) return;
    clearTimeout(timer);
    clearTimeout(heldError);
    timer = setTimeout(fire, debounceMs);
  };

  // Loads are serialised: a save during a load triggers one more load after it.
  const fire = (): void => {
    if (busy) {
      rerun = true;
      return;
    }
    busy = true;
    running = reloadOnce()
      .catch((err: unknown) => opts.onError?.(err as Error))
      .finally(() => {
        busy = false;
        if (rerun && !closed) {
          rerun = false;
          fire();
        }
      });
  };

  async function reloadOnce(): Promise<void> {
    // A newer save supersedes an invalid result still being held.
    clearTimeout(heldError);
    const result = await loadConfig(path, opts);
    if (closed) return;
    if (!result.ok) {
      // Report only if no further save arrives within another quiet period.
      heldError = setTimeout(() => {
        if (closed) return;
        lastHash = null;
        try {
          opts.onChange(result);
        } catch (err) {
          opts.onError?.(err as Error);
        }
      }, debounceMs);
      return;
    }
    watchEnvFiles(result.envFiles);
    if (result.hash === lastHash) return;
    const plan = last ? planReload(last.config, result.config) : null;
    last = { hash: result.hash, config: result.config };
    lastHash = result.hash;
    opts.onChange({ ...result, plan });
  }

  watcher.on('all', (event, changed) => {
    if (!files.has(resolve(changed))) return;
    if (event === 'add' || event === 'change' || event === 'unlink') schedule();
  });
  watcher.on('error', (err) => opts.onError?.(err as Error));

  const listening = new Promise<void>((done) => watcher.once('ready', () => done()));
  const baseline = opts.initial
    ? Promise.resolve()
    : loadConfig(path, opts).then((result) => {
        if (result.ok) watchEnvFiles(result.envFiles);
        if (result.ok && !last) {
          last = { hash: result.hash, config: result.config };
          lastHash = result.hash;
        }
      });

  return {
    ready: Promise.all([listening, baseline]).then(() => undefined),
    async close() {
      closed = true;
      clearTimeout(timer);
      clearTimeout(heldError);
      await watcher.close();
      await running.catch(() => undefined);
    },
  };
}

