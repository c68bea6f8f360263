import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { z } from 'zod';
import type { PluginDefinition } from './types.js';
import { BUILTIN_PLUGINS, isBuiltinPlugin } from './builtin.js';

/** Where plugins are looked up. */
export interface PluginLookup {
  /** Directory of the config file: relative plugin paths and `plugin_dirs` resolve against it. */
  configDir: string;
  /** Extra directories (the config's `plugin_dirs`), searched first, in order. */
  pluginDirs?: string[];
  /** The package's own `plugins/` directory (first-party plugins); default: beside the installed package. */
  projectPluginDir?: string;
}

/** Thrown when a plugin cannot be found or is not a plugin; the message says what and where. */
export class PluginLoadError extends Error {
  override name = 'PluginLoadError';
}

/**
 * The first-party plugins: `plugins/` at the repository root when running
 * from source, `dist/plugins/` when running the build (tsc compiles
 * `plugins/**` there). Both are two levels up from this file.
 */
export function defaultProjectPluginDir(): string {
  return fileURLToPath(new URL('../../plugins/', import.meta.url));
}

// Source files (.ts) are candidates too so tests and `tsx` runs load first-party plugins from `plugins/`.
const FILE_SUFFIXES = ['.js', '.mjs', '.ts'];
const INDEX_FILES = ['index.js', 'index.mjs', 'index.ts'];

const cache = new Map<string, Promise<PluginDefinition>>();
const loadedFiles = new Map<string, string>();

/** Files of the plugins loaded so far (file → plugin reference), to attribute a stray error to its plugin. */
export function loadedPluginFiles(): ReadonlyMap<string, string> {
  return loadedFiles;
}

/**
 * Loads a plugin by reference: a built-in runner name (`process`, `pty`,
 * `tmux`), a path (relative to the config's directory) to a `.js`/`.mjs`
 * file or a directory with an index file, or a name looked up in the
 * `plugin_dirs`, `<configDir>/plugins/` and corral's own `plugins/`.
 * The module must export a plugin made with `definePlugin` as its default
 * export or as `plugin`.
 */
export async function loadPlugin(ref: string, lookup: PluginLookup): Promise<PluginDefinition> {
  if (isBuiltinPlugin(ref)) return BUILTIN_PLUGINS[ref];
  const files = resolvePluginFiles(ref, lookup);
  for (let i = 0; ; i++) {
    const file = files[i]!;
    try {
      return await importCached(ref, file);
    } catch (err) {
      // A TypeScript source this Node cannot run (a config beside corral's own
      // sources finds plugins/NAME/index.ts first) gives way to the next
      // place, such as the compiled first-party plugin.
      if (i + 1 < files.length && file.endsWith('.ts') && isUnknownExtension(err)) continue;
      throw err;
    }
  }
}

function importCached(ref: string, file: string): Promise<PluginDefinition> {
  let pending = cache.get(file);
  if (!pending) {
    pending = importPlugin(ref, file);
    cache.set(file, pending);
    // A failed import is not cached: the user may fix the file and reload.
    pending.catch(() => cache.delete(file));
  }
  return pending;
}

function isUnknownExtension(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_FILE_EXTENSION') return true;
  }
  return false;
}

/** The zod schema of a plugin's own config keys (an empty strict object for the built-in runners). */
export async function getPluginSchema(ref: string, lookup: PluginLookup): Promise<z.ZodType> {
  return (await loadPlugin(ref, lookup)).configSchema;
}

/** Finds the file a reference points to, or throws listing every place it looked. */
export function resolvePluginFile(ref: string, lookup: PluginLookup): string {
  return resolvePluginFiles(ref, lookup)[0]!;
}

/**
 * Every file a reference may point to, in lookup order (at most one per
 * place looked in), or throws listing every place it looked. The first is the
 * plugin; the others are where `loadPlugin` falls back to when the first is a
 * TypeScript source this Node cannot load.
 */
export function resolvePluginFiles(ref: string, lookup: PluginLookup): string[] {
  const tried: string[] = [];
  if (looksLikePath(ref)) {
    const base = isAbsolute(ref) ? ref : resolve(lookup.configDir, ref);
    const found = probe(base, tried, true);
    if (found) return [found];
    throw new PluginLoadError(`plugin "${ref}" not found; looked at:\n  ${tried.join('\n  ')}`);
  }
  const dirs = [
    ...(lookup.pluginDirs ?? []).map((d) => resolve(lookup.configDir, d)),
    join(lookup.configDir, 'plugins'),
    lookup.projectPluginDir ?? defaultProjectPluginDir(),
  ];
  const found: string[] = [];
  for (const dir of [...new Set(dirs)]) {
    const file = probe(join(dir, ref), tried, false);
    if (file && !found.includes(file)) found.push(file);
  }
  if (found.length > 0) return found;
  throw new PluginLoadError(
    `plugin "${ref}" not found (it is not a built-in runner: ${Object.keys(BUILTIN_PLUGINS).join(', ')}); looked at:\n  ${tried.join('\n  ')}`,
  );
}

function looksLikePath(ref: string): boolean {
  return ref.startsWith('.') || ref.startsWith('/') || ref.includes('/') || /\.(m?js|ts)$/.test(ref);
}

/** Tries `base` itself (when a file), `base.js|.mjs|.ts`, then `base/index.*`. */
function probe(base: string, tried: string[], exactFirst: boolean): string | null {
  const candidates = [
    ...(exactFirst ? [base] : []),
    ...FILE_SUFFIXES.map((s) => base + s),
    ...INDEX_FILES.map((f) => join(base, f)),
  ];
  for (const candidate of candidates) {
    tried.push(candidate);
    if (isFile(candidate)) return candidate;
  }
  return null;
}

function isFile(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

async function importPlugin(ref: string, file: string): Promise<PluginDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginLoadError(`plugin "${ref}" (${file}) failed to load: ${(err as Error).message}`, { cause: err });
  }
  const candidate = mod.default ?? mod.plugin;
  const problem = checkPluginDefinition(candidate);
  if (problem) {
    throw new PluginLoadError(
      `plugin "${ref}" (${file}) does not export a plugin: ${problem}. Export one made with definePlugin({ name, configSchema, create }) as the default export or as "plugin".`,
    );
  }
  loadedFiles.set(file, ref);
  return candidate as PluginDefinition;
}

/** Why a value is not a plugin definition, or null when it is one. */
export function checkPluginDefinition(value: unknown): string | null {
  if (value === undefined) return 'no default export and no "plugin" export';
  if (typeof value !== 'object' || value === null) return `the export is a ${value === null ? 'null' : typeof value}, not an object`;
  const p = value as Partial<PluginDefinition>;
  if (typeof p.name !== 'string' || p.name.length === 0) return 'it has no "name"';
  if (typeof p.create !== 'function') return `"${p.name}" has no create(ctx, config) function`;
  const schema = p.configSchema as { safeParse?: unknown } | undefined;
  if (!schema || typeof schema.safeParse !== 'function') return `"${p.name}" has no zod "configSchema"`;
  if (p.setupTimeout !== undefined && !(typeof p.setupTimeout === 'number' && p.setupTimeout > 0)) {
    return `"${p.name}" has a setupTimeout that is not a positive number`;
  }
  return null;
}
