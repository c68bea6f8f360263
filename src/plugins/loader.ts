import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { z } from 'zod';
import type { PluginDefinition } from './types.js';
import { BUILTIN_PLUGINS, isBuiltinPlugin } from './builtin.js';
import { parseRange, satisfies } from './version-range.js';
import { corralVersion } from '../version.js';
import { CorralError } from '../errors.js';

/** Where plugins are looked up. */
export interface PluginLookup {
  /** Directory of the config file: relative plugin paths and `plugin_dirs` resolve against it. */
  configDir: string;
  /** Extra directories (the config's `plugin_dirs`), searched first, in order. */
  pluginDirs?: string[];
  /** The package's own `plugins/` directory (first-party plugins); default: {@link defaultProjectPluginDirs}. */
  projectPluginDir?: string;
}

/** Thrown when a plugin cannot be found or is not a plugin; the message says what and where. */
export class PluginLoadError extends CorralError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLG001', [message], options);
  }
}

/**
 * The first-party plugins: `plugins/` at the repository root when running
 * from source, `dist/plugins/` when running the build (tsc compiles
 * `plugins/**` there). Both are two levels up from this file.
 */
export function defaultProjectPluginDir(): string {
  return fileURLToPath(new URL('../../plugins/', import.meta.url));
}

/**
 * corral's own plugin directories, in lookup order, and whether only
 * JavaScript is looked for there. From source, `plugins/` at the repository
 * root. From the build, `dist/plugins/` (the compiled first-party plugins),
 * then the package's `plugins/` for a `.js`/`.mjs` plugin a user saved there
 * (the TypeScript sources there are the first-party plugins dist/ holds).
 */
export function defaultProjectPluginDirs(): Array<{ dir: string; jsOnly: boolean }> {
  const own = defaultProjectPluginDir();
  const top = dirname(own);
  if (basename(top) !== 'dist') return [{ dir: own, jsOnly: false }];
  return [
    { dir: own, jsOnly: false },
    { dir: join(dirname(top), 'plugins'), jsOnly: true },
  ];
}

// Source files (.ts) are candidates too so tests and `tsx` runs load first-party plugins from `plugins/`.
const FILE_SUFFIXES = ['.js', '.mjs', '.ts'];
const INDEX_FILES = ['index.js', 'index.mjs', 'index.ts'];
const isJs = (f: string) => !f.endsWith('.ts');

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
 * `plugin_dirs`, `<configDir>/plugins/` and corral's own plugin directories
 * ({@link defaultProjectPluginDirs}).
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
    ...(lookup.pluginDirs ?? []).map((d) => ({ dir: resolve(lookup.configDir, d), jsOnly: false })),
    { dir: join(lookup.configDir, 'plugins'), jsOnly: false },
    ...(lookup.projectPluginDir ? [{ dir: lookup.projectPluginDir, jsOnly: false }] : defaultProjectPluginDirs()),
  ];
  const found: string[] = [];
  const seen = new Set<string>();
  for (const { dir, jsOnly } of dirs) {
    if (seen.has(resolve(dir))) continue;
    seen.add(resolve(dir));
    const file = probe(join(dir, ref), tried, false, jsOnly);
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

/** Tries `base` itself (when a file), `base.js|.mjs|.ts`, then `base/index.*` (no `.ts` when `jsOnly`). */
function probe(base: string, tried: string[], exactFirst: boolean, jsOnly = false): string | null {
  const candidates = [
    ...(exactFirst ? [base] : []),
    ...FILE_SUFFIXES.filter((s) => !jsOnly || isJs(s)).map((s) => base + s),
    ...INDEX_FILES.filter((f) => !jsOnly || isJs(f)).map((f) => join(base, f)),
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
    const e = err as Error;
    // A syntax error names its line and column: in place of the file when it is there, else after the message.
    const where = syntaxErrorWhere(file, err);
    const inFile = where?.startsWith(`${file}:`) ? where : null;
    const what = where ? `${e.name}: ${e.message}${inFile ? '' : ` (at ${where})`}` : e.message;
    throw new PluginLoadError(`plugin "${ref}" (${inFile ?? file}) failed to load: ${what}`, { cause: err });
  }
  const candidate = mod.default ?? mod.plugin;
  const problem = checkPluginDefinition(candidate);
  if (problem) {
    throw new PluginLoadError(
      `plugin "${ref}" (${file}) does not export a plugin: ${problem}. Export one made with definePlugin({ name, configSchema, create }) as the default export or as "plugin".`,
    );
  }
  const plugin = candidate as PluginDefinition;
  const mismatch = corralMismatch(plugin);
  if (mismatch) throw new PluginLoadError(`plugin "${ref}" (${file}) ${mismatch}`);
  loadedFiles.set(file, ref);
  return plugin;
}

/**
 * `FILE:LINE:COLUMN` of a syntax error. Node 20 leaves both out of the
 * error of a dynamic import: the stack is asked first (newer Node puts
 * `file:///...:LINE` on its first line), then `node --check FILE`, which
 * prints them. Null when neither tells (the error is in a module the plugin
 * imports, or is no syntax error).
 */
function syntaxErrorWhere(file: string, err: unknown): string | null {
  if (!(err instanceof SyntaxError)) return null;
  const inStack = /^(?:file:\/\/)?(\/[^\n]*?):(\d+)(?::(\d+))?\n/.exec(err.stack ?? '');
  if (inStack) return `${decodeURI(inStack[1]!)}:${inStack[2]}${inStack[3] ? `:${inStack[3]}` : ''}`;
  try {
    const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 5000 });
    // `FILE:LINE`, the source line, then a caret under the column.
    const m = /^(.+):(\d+)\n.*\n( *)\^/m.exec(check.stderr ?? '');
    if (m) return `${m[1]}:${m[2]}:${m[3]!.length + 1}`;
  } catch {}
  return null;
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
  if (p.corral !== undefined && (typeof p.corral !== 'string' || parseRange(p.corral) === null)) {
    return `"${p.name}" has a "corral" that is not a version range (e.g. ">=0.1.0", "^0.1.0", "0.x"): ${JSON.stringify(p.corral)}`;
  }
  return null;
}

/**
 * Why this corral cannot run the plugin (its `corral` range leaves this
 * version out), or null. Checked when the plugin loads, as fastify-plugin
 * checks its `fastify` range, so a plugin written for a newer corral fails
 * with both versions named instead of breaking later in a way nobody can read.
 */
export function corralMismatch(plugin: Pick<PluginDefinition, 'name' | 'corral'>, version = corralVersion()): string | null {
  if (plugin.corral === undefined || satisfies(version, plugin.corral)) return null;
  return `needs corral ${plugin.corral}, but this is corral ${version}: update corral, or use a version of "${plugin.name}" made for corral ${version}`;
}
