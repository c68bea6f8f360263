import { open } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { ComponentSchema, ConfigSchema, type ComponentConfig, type CorralConfig } from './schema.js';
import { resolveEnv } from './env.js';
import { addComposeHints, yamlErrorHint } from './compose-hints.js';
import { setReplicaEntries } from './replica-entries.js';
import { checkDependencies, checkEnvNumbers, checkEnvSizes, checkPluginKeys, type PluginSchemaResolver } from './checks.js';
import { hashConfig } from './hash.js';
import { formatPath, fromZodIssues, type ConfigIssue, type RawIssue } from './issues.js';
import { locatePath, positionOf, unclosedFlowStart } from './locate.js';

export type { ConfigIssue } from './issues.js';
export type { PluginSchemaResolver } from './checks.js';

/** A config that passed every check. */
export interface LoadOk {
  ok: true;
  /** Parsed, with defaults filled, durations in ms and sizes in bytes. */
  config: CorralConfig;
  /** The file's data as written. */
  raw: unknown;
  /** sha256 of the normalized config (see hashConfig). */
  hash: string;
  /** Absolute path of the file. */
  file: string;
  /** Its directory: relative paths in the config resolve against it. */
  dir: string;
  /** Problems that do not stop the config (an unset `${VAR}`), placed like errors. */
  warnings: ConfigIssue[];
  /** Absolute paths of the env files the config read (`env_file`). */
  envFiles: string[];
}

/** A config that did not load: every problem found, each with its path and, when known, line and column. */
export interface LoadError {
  ok: false;
  errors: ConfigIssue[];
  /** Warnings found along the way, when the file got that far. */
  warnings?: ConfigIssue[];
}

export type LoadResult = LoadOk | LoadError;

export interface LoadOptions {
  /** Finds the schema of a non-built-in plugin's own keys; without it those keys are not checked. */
  resolvePluginSchema?: PluginSchemaResolver;
  /** The environment `${VAR}` reads first (default: corral's own, process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * Bounds of a config file, checked before the expensive steps. The YAML parser
 * builds a long quoted value one character at a time (a 50 MB value took a
 * minute and gigabytes), so the file's size is checked before it is parsed.
 * One env string over 128 KiB is refused by Linux's execve (MAX_ARG_STRLEN),
 * so such a value could never reach the process anyway.
 */
export const CONFIG_LIMITS = {
  /** Largest config file, in bytes. */
  fileBytes: 1024 * 1024,
  /** Most entries under `components:`. */
  components: 2000,
  /** Largest `env` value, in UTF-8 bytes (with its name and "=", what execve accepts for one string). */
  envStringBytes: 128 * 1024 - 1,
} as const;

const KIB = 1024;

interface Parsed {
  data: unknown;
  doc: Document;
  counter: LineCounter;
  /** Problems the parser found that do not stop validation (duplicate keys), already placed. */
  issues: ConfigIssue[];
}

/** Reads, parses and validates a YAML or JSON config file. Never throws: problems come back as `errors`. */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const path = resolve(file);
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      // Size first: a huge file is refused without reading it.
      const { size } = await handle.stat();
      if (size > CONFIG_LIMITS.fileBytes) return { ok: false, errors: [tooLargeIssue(size)] };
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    // Printed after the file's name (`nope.yaml: cannot read (ENOENT: no such file)`), so the path is not repeated.
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : null;
    return { ok: false, errors: [{ path: '', message: `cannot read (${why ? `${code}: ${why}` : (err as Error).message})` }] };
  }
  return loadConfigText(text, path, opts);
}

/** `loadConfig` for text already read; `file` names it and decides the format (`.json` or YAML). */
export async function loadConfigText(text: string, file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const path = resolve(file);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > CONFIG_LIMITS.fileBytes) return { ok: false, errors: [tooLargeIssue(bytes)] };
  const parsed = parseText(text, extname(path).toLowerCase() === '.json');
  if ('errors' in parsed) return { ok: false, errors: parsed.errors };
  if (parsed.data === null || parsed.data === undefined) {
    return { ok: false, errors: [{ path: '', message: 'the file is empty (start it with `version: 1`, then the components under `components:`)', line: 1, column: 1 }] };
  }

  // Counted before the env files and the schema: their cost grows with the count.
  const count = componentCount(parsed.data);
  if (count > CONFIG_LIMITS.components) {
    const message = `${count} components: at most ${CONFIG_LIMITS.components} are supported in one config`;
    return { ok: false, errors: placeIssues([{ path: ['components'], message, atKey: true }], parsed) };
  }
  const dir = dirname(path);
  // Env files and `${VAR}` first: the schema checks the values they become.
  const env = await resolveEnv(withoutExtensions(parsed.data), dir, opts.env ?? process.env);
  const data = env.data;
  const warnings = placeIssues(env.warnings, parsed);
  // reportInput: the messages say what was written (`got the number 100 at [1]`).
  const result = ConfigSchema.safeParse(data, { reportInput: true });
  const raw: RawIssue[] = result.success ? [] : fromZodIssues(result.error.issues, ConfigSchema);
  raw.push(...env.errors);
  raw.push(...checkDependencies(data));
  raw.push(...checkEnvNumbers(parsed.doc));
  raw.push(...checkEnvSizes(data, CONFIG_LIMITS.envStringBytes));
  raw.push(...(await checkPluginKeys(data, opts.resolvePluginSchema)));
  addComposeHints(raw, data);
  const replicas = result.success ? parseReplicaEntries(result.data, env.replicaEntries, raw) : [];
  if (!result.success || raw.length > 0 || parsed.issues.length > 0) return { ok: false, errors: placeIssues(raw, parsed), warnings };
  // The replicas' own values are part of what runs, so of the hash.
  const hash = hashConfig(replicas.length > 0 ? { config: result.data, replicas } : result.data);
  return { ok: true, config: result.data, raw: parsed.data, hash, file: path, dir, warnings, envFiles: env.envFiles };
}

/** Parses each replica's interpolated entry and keeps them for expandReplicas; problems go to `issues`. */
function parseReplicaEntries(config: CorralConfig, entries: Map<string, Record<string, unknown>[]>, issues: RawIssue[]): ComponentConfig[][] {
  const all: ComponentConfig[][] = [];
  for (const [name, list] of entries) {
    const base = config.components[name];
    if (!base) continue;
    const parsedList: ComponentConfig[] = [];
    list.forEach((entry, i) => {
      const one = ComponentSchema.safeParse(entry, { reportInput: true });
      if (one.success) parsedList.push(one.data);
      else for (const issue of fromZodIssues(one.error.issues, ComponentSchema, ['components', name])) issues.push({ ...issue, message: `replica ${i + 1}: ${issue.message}` });
    });
    if (parsedList.length !== list.length) continue;
    setReplicaEntries(base, parsedList);
    all.push(parsedList);
  }
  return all;
}

function tooLargeIssue(bytes: number): ConfigIssue {
  const size = (n: number) => (n >= KIB * KIB ? `${(n / KIB / KIB).toFixed(1)} MiB` : `${Math.ceil(n / KIB)} KiB`);
  return { path: '', message: `the file is ${size(bytes)}: a config may be at most ${size(CONFIG_LIMITS.fileBytes)}` };
}

function componentCount(data: unknown): number {
  const components = (data as { components?: unknown } | null)?.components;
  return components !== null && typeof components === 'object' && !Array.isArray(components) ? Object.keys(components).length : 0;
}

/**
 * Top-level `x-` keys are extension fields, as in docker-compose: a place for
 * YAML anchors (`x-defaults: &defaults`) that corral itself ignores.
 */
function withoutExtensions(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  return Object.fromEntries(Object.entries(data).filter(([key]) => !key.startsWith('x-')));
}

function parseText(text: string, json: boolean): Parsed | { errors: ConfigIssue[] } {
  const counter = new LineCounter();
  if (json) {
    // YAML would accept some things JSON does not; a .json file must be JSON.
    try {
      JSON.parse(text);
    } catch (err) {
      return { errors: [jsonSyntaxIssue(text, (err as Error).message)] };
    }
  }
  // YAML 1.2 reads JSON too, so both formats get node positions from one parser.
  // uniqueKeys off: the parser compares each key with every earlier one of its mapping (quadratic:
  // 0.6 s for 2,000 components); duplicateKeys below finds the same keys with one set per mapping.
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, merge: true, uniqueKeys: false });
  // A duplicate key leaves a usable document (the last value wins in it): report it together with
  // every schema error rather than alone. Any other syntax error stops here.
  const describe = (err: YAMLError): ConfigIssue => syntaxIssue(text, counter, err, json ? 'JSON' : 'YAML');
  if (doc.errors.length > 0) return { errors: doc.errors.map(describe) };
  const issues = duplicateKeys(doc).map(({ path, offset }) => duplicateKeyIssue(path, counter, offset));
  try {
    return { data: doc.toJS({ maxAliasCount: 1000 }), doc, counter, issues };
  } catch (err) {
    return { errors: [{ path: '', message: `invalid YAML: ${(err as Error).message}` }] };
  }
}

/**
 * A YAML syntax error where it was made: an unclosed `[` or `{` at itself
 * (the parser gives up one past the end of the file), anything else found at
 * the end at the last character, not on a line the file does not have.
 */
function syntaxIssue(text: string, counter: LineCounter, err: YAMLError, format: string): ConfigIssue {
  const end = text.trimEnd().length;
  let offset = err.pos[0];
  let message = `invalid ${format}: ${err.message.split('\n')[0]}`;
  if (/^Flow (sequence|mapping)/.test(err.message) || offset >= end) {
    const open = unclosedFlowStart(text);
    if (open !== undefined) {
      offset = open;
      message += ` (this ${text[open]} is never closed)`;
    } else if (offset >= end) offset = Math.max(0, end - 1);
  }
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEnd = text.indexOf('\n', offset);
  message += yamlErrorHint(err.code, text.slice(lineStart, lineEnd === -1 ? text.length : lineEnd));
  return { path: '', message, ...positionOf(counter, offset) };
}

/** A key written twice in one mapping, with the path of the repeated entry and its own line. */
function duplicateKeyIssue(path: PropertyKey[], counter: LineCounter, offset: number): ConfigIssue {
  const key = path.length > 0 ? String(path[path.length - 1]) : undefined;
  return {
    path: formatPath(path),
    message: `duplicate key${key === undefined ? '' : ` "${key}"`}: it appears more than once in the same mapping (keep one)`,
    ...positionOf(counter, offset),
  };
}

/**
 * Every key written again in the same mapping (the parser's own check, as
 * it compares them: scalar keys of equal value), with its path and where the
 * repeated key starts. One set per mapping, so linear in the document's size.
 */
export function duplicateKeys(doc: Document): { path: PropertyKey[]; offset: number }[] {
  const found: { path: PropertyKey[]; offset: number }[] = [];
  const stack: { node: unknown; path: PropertyKey[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isScalar(pair.key)) continue;
        const value = pair.key.value;
        const id = `${typeof value}:${String(value)}`;
        const at = [...path, String(value)];
        if (seen.has(id)) found.push({ path: at, offset: pair.key.range?.[0] ?? 0 });
        seen.add(id);
        stack.push({ node: pair.value, path: at });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

function jsonSyntaxIssue(text: string, message: string): ConfigIssue {
  const at = /position (\d+)/.exec(message);
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  let where: { line?: number; column?: number } = {};
  if (lineCol) where = { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  else if (at) {
    const before = text.slice(0, Number(at[1])).split('\n');
    where = { line: before.length, column: before[before.length - 1]!.length + 1 };
  }
  return { path: '', message: `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`, ...where };
}

/** Places each issue in the file and sorts them by line, so they read top to bottom. */
function placeIssues(issues: RawIssue[], parsed: Parsed): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [...parsed.issues];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    const key = `${path}\0${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = locatePath(parsed.doc, parsed.counter, issue.path, issue.atKey);
    out.push({ path, message: issue.message, ...(position ? { line: position.line, column: position.column } : {}) });
  }
  return out.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
}
