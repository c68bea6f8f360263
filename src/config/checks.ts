import type { z } from 'zod';
import { isAlias, isMap, isScalar, isSeq, type Document, type Pair } from 'yaml';
import { BUILTIN_RUNNERS, ComponentSchema } from './schema.js';
import { findCycles, type DependencyGraph } from './graph.js';
import { fromZodIssues, type RawIssue } from './issues.js';
import { didYouMean } from './suggest.js';
import { composeKeyHint } from './compose-hints.js';
import { objectKeysAt, stripsUnknownKeys } from './schema-keys.js';

/** What the file being checked says about where plugins are (its `plugin_dirs`, as written). */
export interface PluginSchemaContext {
  pluginDirs: string[];
}

/** Finds the config schema of a plugin's own keys; null when no such plugin exists. */
export type PluginSchemaResolver = (pluginName: string, component: string, context: PluginSchemaContext) => Promise<z.ZodType | null>;

/** The keys the core understands in a component entry; anything else belongs to its plugin. */
export const CORE_COMPONENT_KEYS: readonly string[] = Object.keys(ComponentSchema.shape);

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Component entries of the raw file, those that are objects at all (zod reports the others). */
function rawComponents(raw: unknown): [string, Record<string, unknown>][] {
  const components = isRecord(raw) ? raw.components : undefined;
  if (!isRecord(components)) return [];
  return Object.entries(components).filter((e): e is [string, Record<string, unknown>] => isRecord(e[1]));
}

const pluginOf = (entry: Record<string, unknown>): string => (typeof entry.plugin === 'string' ? entry.plugin : 'process');
const isBuiltin = (plugin: string): boolean => (BUILTIN_RUNNERS as readonly string[]).includes(plugin);

/** Dependency names in either spelling (`{db: healthy}` or `[db]`). */
function dependencyNames(entry: Record<string, unknown>): string[] {
  const deps = entry.depends_on;
  if (Array.isArray(deps)) return deps.filter((d): d is string => typeof d === 'string');
  if (isRecord(deps)) return Object.keys(deps);
  return [];
}

/** The condition `entry` waits for on `dep` (the list form is `started`). */
function conditionOf(entry: Record<string, unknown>, dep: string): unknown {
  return isRecord(entry.depends_on) ? entry.depends_on[dep] : 'started';
}

/**
 * Checks zod cannot make on one entry at a time: dependencies name existing,
 * enabled components, `healthy` ones have a probe, and form no cycle. Runs on the raw file so these errors
 * are reported together with the schema's.
 */
export function checkDependencies(raw: unknown): RawIssue[] {
  const issues: RawIssue[] = [];
  const entries = rawComponents(raw);
  const byName = new Map(entries);
  const graph: Record<string, string[]> = {};
  for (const [name, entry] of entries) {
    const deps = dependencyNames(entry);
    graph[name] = deps.filter((dep) => byName.has(dep));
    for (const dep of deps) {
      const path = ['components', name, 'depends_on', dep];
      const target = byName.get(dep);
      if (!target) {
        issues.push({
          path,
          message: `unknown component "${dep}" (${name} depends on it)${didYouMean(dep, byName.keys())}`,
          atKey: true,
        });
      } else if (target.enabled === false && entry.enabled !== false) {
        issues.push({ path, message: `"${dep}" is disabled (enabled: false), so ${name}, which depends on it, could never start`, atKey: true });
      } else if (conditionOf(entry, dep) === 'healthy' && target.health === undefined && isBuiltin(pluginOf(target))) {
        // A plugin may have its own health(); a built-in runner without a probe is never healthy.
        issues.push({ path, message: `"${dep}" has no health probe, so it never becomes healthy: add health: to ${dep} or use started`, atKey: true });
      }
    }
  }
  for (const cycle of findCycles(graph as DependencyGraph)) {
    issues.push({
      path: ['components', cycle[0]!, 'depends_on', cycle[1]!],
      message: `dependency cycle: ${cycle.join(' → ')}`,
      atKey: true,
    });
  }
  return issues;
}

/**
 * Per-runner checks: built-in runners need a `command` and accept only the
 * core keys (so `restrat` is caught); any other plugin's extra keys go
 * through the schema `resolve` finds for it.
 */
export async function checkPluginKeys(raw: unknown, resolve?: PluginSchemaResolver): Promise<RawIssue[]> {
  const issues: RawIssue[] = [];
  const dirs = isRecord(raw) && Array.isArray(raw.plugin_dirs) ? raw.plugin_dirs : [];
  const context: PluginSchemaContext = { pluginDirs: dirs.filter((d): d is string => typeof d === 'string') };
  for (const [name, entry] of rawComponents(raw)) {
    const plugin = pluginOf(entry);
    const extra = Object.keys(entry).filter((key) => !CORE_COMPONENT_KEYS.includes(key));
    if (isBuiltin(plugin)) {
      if (entry.command === undefined) issues.push({ path: ['components', name, 'command'], message: `required for the ${plugin} runner` });
      for (const key of extra) {
        issues.push({
          path: ['components', name, key],
          message: `unknown key "${key}" for the ${plugin} runner${composeKeyHint(key) ?? didYouMean(key, CORE_COMPONENT_KEYS)}`,
          atKey: true,
        });
      }
      continue;
    }
    // Without a resolver (e.g. no plugin loader available) a plugin's keys cannot be judged.
    if (!resolve) continue;
    let schema: z.ZodType | null;
    try {
      schema = await resolve(plugin, name, context);
    } catch (err) {
      // A switched-off entry (say claude-router on a machine without it) must not fail the file: it is checked when enabled.
      if (entry.enabled === false) continue;
      issues.push({ path: ['components', name, 'plugin'], message: `cannot load plugin "${plugin}": ${(err as Error).message}` });
      continue;
    }
    if (!schema) {
      issues.push({ path: ['components', name, 'plugin'], message: `unknown plugin "${plugin}"` });
      continue;
    }
    const known = [...objectKeysAt(schema, []), ...CORE_COMPONENT_KEYS];
    if (stripsUnknownKeys(schema)) {
      for (const key of extra.filter((k) => !known.includes(k))) {
        issues.push({ path: ['components', name, key], message: `unknown key "${key}" for plugin "${plugin}"${didYouMean(key, known)}`, atKey: true });
      }
    }
    const own = Object.fromEntries(extra.map((key) => [key, entry[key]]));
    // The loader asks a plugin's schema for `safeParse` only: one made with another zod (or none) lacks the async form.
    const result = typeof schema.safeParseAsync === 'function' ? await schema.safeParseAsync(own) : schema.safeParse(own);
    if (result.success) continue;
    const found = Array.isArray(result.error?.issues) ? result.error.issues : [{ code: 'custom' as const, path: [], message: String(result.error ?? 'invalid'), input: own }];
    for (const issue of fromZodIssues(found, schema, ['components', name])) {
      // An unknown key may be a misspelt core key as well as a misspelt plugin key.
      if (issue.atKey && issue.path.length === 3) {
        const key = String(issue.path[2]);
        issue.message = `unknown key "${key}" for plugin "${plugin}"${didYouMean(key, known)}`;
      } else {
        issue.message = `plugin "${plugin}": ${issue.message}`;
      }
      issues.push(issue);
    }
  }
  return issues;
}

/** The entries of a YAML map, following aliases and merge keys (`<<: *defaults`); a key written here wins over a merged one. */
function mapPairs(doc: Document, node: unknown): Pair[] {
  const target = isAlias(node) ? node.resolve(doc) : node;
  if (!isMap(target)) return [];
  const own: Pair[] = [];
  const merged: Pair[] = [];
  for (const pair of target.items) {
    if (isScalar(pair.key) && (pair.key.value === '<<' || pair.key.source === '<<')) {
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) merged.push(...mapPairs(doc, source));
    } else {
      own.push(pair);
    }
  }
  const keyOf = (p: Pair) => (isScalar(p.key) ? String(p.key.value) : String(p.key));
  const seen = new Set(own.map(keyOf));
  return [...own, ...merged.filter((p) => !seen.has(keyOf(p)) && seen.add(keyOf(p)))];
}

/**
 * `env` values are strings: a YAML number is passed as `String(value)`, which
 * is not what was written for `0x1F` (31), `1.0` (1) or a number beyond
 * 2^53 (rounded). Such a number is an error asking for quotes.
 */
export function checkEnvNumbers(doc: Document): RawIssue[] {
  const issues: RawIssue[] = [];
  const pairs = mapPairs(doc, doc.contents);
  const components = pairs.find((p) => isScalar(p.key) && p.key.value === 'components');
  for (const component of mapPairs(doc, components?.value)) {
    const env = mapPairs(doc, component.value).find((p) => isScalar(p.key) && p.key.value === 'env');
    for (const entry of mapPairs(doc, env?.value)) {
      const value = isAlias(entry.value) ? entry.value.resolve(doc) : entry.value;
      if (!isScalar(value) || typeof value.value !== 'number' || value.source === undefined) continue;
      if (value.source === String(value.value)) continue;
      const name = isScalar(component.key) ? String(component.key.value) : String(component.key);
      const key = isScalar(entry.key) ? String(entry.key.value) : String(entry.key);
      issues.push({
        path: ['components', name, 'env', key],
        message: `the number ${value.source} would be passed as ${String(value.value)}: write it in quotes (${JSON.stringify(value.source)}) to pass it as written`,
      });
    }
  }
  return issues;
}

/**
 * `env` values that the kernel would refuse: Linux limits one environment
 * string (`NAME=value`) to 128 KiB, so the process could never be started.
 */
export function checkEnvSizes(raw: unknown, maxBytes: number): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const [name, entry] of rawComponents(raw)) {
    if (!isRecord(entry.env)) continue;
    for (const [key, value] of Object.entries(entry.env)) {
      if (typeof value !== 'string' || value.length * 3 + key.length < maxBytes) continue;
      const bytes = Buffer.byteLength(key, 'utf8') + 1 + Buffer.byteLength(value, 'utf8');
      if (bytes <= maxBytes) continue;
      issues.push({
        path: ['components', name, 'env', key],
        message: `${key}=… is ${Math.ceil(bytes / 1024)} KiB: one environment string may be at most ${Math.floor((maxBytes + 1) / 1024)} KiB (Linux refuses a longer one when starting the process); pass large data in a file`,
      });
    }
  }
  return issues;
}
