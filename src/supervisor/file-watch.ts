import type { Stats } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import type { ComponentConfig } from '../config/schema.js';
import { gitignoreJudge, globSet, staticRoot } from './watch-match.js';

export type WatchConfig = NonNullable<ComponentConfig['watch']>;

/** A component's file watcher; `close` ends it (idempotent). */
export interface FileWatch {
  /** Settles once the first scan is done: changes after it are seen. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

export interface FileWatchOptions {
  /** The component's working directory: `paths` and `ignore` are relative to it. */
  cwd: string;
  watch: WatchConfig;
  /** After `debounce` ms without another change: why (`file changed: src/a.ts`, the first file, relative to cwd). */
  onChange(cause: string): void;
  onError?(err: Error): void;
}

/**
 * Watches a component's `watch.paths` (src/config/schema.ts): the static root
 * of each glob is watched, `ignore`, `.git` and the `.gitignore` files under
 * the roots prune what is scanned, and a change to a file the globs match
 * calls `onChange` once the changes have been quiet for `debounce`.
 */
export function startFileWatch(opts: FileWatchOptions): FileWatch {
  const { cwd } = opts;
  const clean = (p: string) => p.replace(/^\.\//, '');
  const wanted = globSet(opts.watch.paths.map(clean));
  const unwanted = globSet(['.git', ...opts.watch.ignore.map(clean)]);
  const roots = [...new Set(opts.watch.paths.map((p) => resolve(cwd, staticRoot(clean(p)))))];
  const git = gitignoreJudge(roots);
  const rel = (abs: string) => relative(cwd, abs).split(sep).join('/');

  const ignored = (abs: string, stats?: Stats): boolean => {
    const r = rel(abs);
    if (r === '' || roots.includes(abs)) return false;
    return unwanted(r) || git.ignored(abs, stats?.isDirectory() ?? false);
  };

  let changed: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let closed = false;
  const fire = () => {
    timer = null;
    const [first, ...more] = changed;
    changed = [];
    if (closed || first === undefined) return;
    opts.onChange(`file changed: ${first}${more.length > 0 ? ` (and ${more.length} more)` : ''}`);
  };
  const onEvent = (abs: string) => {
    if (basename(abs) === '.gitignore') git.forget(dirname(abs));
    const r = rel(abs);
    if (closed || !wanted(r) || ignored(abs)) return;
    if (!changed.includes(r)) changed.push(r);
    if (timer) clearTimeout(timer);
    timer = setTimeout(fire, opts.watch.debounce);
  };

  const watcher = watch(roots, { ignoreInitial: true, ignored, atomic: true });
  watcher.on('add', onEvent).on('change', onEvent).on('unlink', onEvent);
  watcher.on('error', (err) => opts.onError?.(err instanceof Error ? err : new Error(String(err))));
  const ready = new Promise<void>((done) => watcher.once('ready', () => done()));
  let closing: Promise<void> | null = null;
  return {
    ready,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      return (closing ??= watcher.close().catch((err: unknown) => opts.onError?.(err as Error)));
    },
  };
}
