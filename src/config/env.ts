import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseDotenv } from './dotenv.js';
import { interpolate } from './interpolate.js';
import type { RawIssue } from './issues.js';
import { MAX_REPLICAS } from './schema.js';

/**
 * `env_file` and `${…}` interpolation, applied to the file's data before the
 * schema sees it (so `http: http://127.0.0.1:${PORT}/health` is checked as
 * the URL it becomes). A component's environment is its env files (the
 * top-level ones, then its own; a later file wins) overlaid by its `env:`.
 * Interpolation reads corral's own environment first, then those env files
 * (as docker compose does: the shell wins over a .env file), plus
 * CORRAL_COMPONENT and, for replicas, CORRAL_REPLICA.
 */

export interface EnvResolution {
  /** The data with every interpolated string filled and the env files merged into each component's `env`. */
  data: unknown;
  errors: RawIssue[];
  warnings: RawIssue[];
  /** For an entry with `replicas` whose strings use CORRAL_REPLICA or CORRAL_COMPONENT: its raw entry per replica (index 0 is replica 1). */
  replicaEntries: Map<string, Record<string, unknown>[]>;
  /** Absolute paths of the env files read. */
  envFiles: string[];
}

/** Largest env file read, in bytes. */
const MAX_ENV_FILE_BYTES = 1024 * 1024;
const REPLICA_VARS = ['CORRAL_REPLICA', 'CORRAL_COMPONENT'];

type Env = Record<string, string | undefined>;
type Vars = Record<string, string>;
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The entries of an `env_file` value (a path, or a list of paths or `{path, required}`), each with its path in the data. */
function envFileEntries(value: unknown, at: PropertyKey[]): { file: string; required: boolean; at: PropertyKey[] }[] {
  if (typeof value === 'string') return [{ file: value, required: true, at }];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i) => {
    if (typeof item === 'string') return [{ file: item, required: true, at: [...at, i] }];
    if (isRecord(item) && typeof item.path === 'string') return [{ file: item.path, required: item.required !== false, at: [...at, i, 'path'] }];
    return [];
  });
}

class EnvFiles {
  readonly read = new Map<string, Promise<{ vars: Vars } | { error: string }>>();
  constructor(
    private readonly dir: string,
    private readonly env: Env,
  ) {}

  /** The variables of the env files in `value`, later files winning; problems go to `errors` at the entry's path. */
  async load(value: unknown, at: PropertyKey[], errors: RawIssue[]): Promise<Vars> {
    const vars: Vars = {};
    for (const entry of envFileEntries(value, at)) {
      const path = resolve(this.dir, entry.file);
      let pending = this.read.get(path);
      if (!pending) {
        pending = this.readOne(entry.file, path);
        this.read.set(path, pending);
      }
      const got = await pending;
      if ('vars' in got) Object.assign(vars, got.vars);
      else if (entry.required || !got.error.includes('not found')) errors.push({ path: entry.at, message: got.error });
    }
    return vars;
  }

  private async readOne(file: string, path: string): Promise<{ vars: Vars } | { error: string }> {
    let text: string;
    try {
      const handle = await open(path, 'r');
      try {
        const { size } = await handle.stat();
        if (size > MAX_ENV_FILE_BYTES) return { error: `env file ${file} is ${Math.ceil(size / 1024)} KiB: at most ${MAX_ENV_FILE_BYTES / 1024} KiB` };
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const where = isAbsolute(file) ? '' : ` (relative to ${this.dir})`;
      if (code === 'ENOENT') return { error: `env file ${file} not found${where}` };
      if (code === 'EISDIR') return { error: `env file ${file} is a directory${where}` };
      return { error: `env file ${file} cannot be read${where}: ${code ?? (err as Error).message}` };
    }
    const { vars, problems } = parseDotenv(text, (name) => this.env[name]);
    if (problems.length > 0) return { error: problems.map((p) => `${file} line ${p.line}: ${p.message}`).join('; ') };
    return { vars };
  }
}

interface Target {
  /** Path of the string in the data. */
  at: PropertyKey[];
  get(): unknown;
  set(value: string): void;
}

/** The strings of an entry that are interpolated: command, cwd, env values and the health probe's http, tcp and exec. */
function targets(entry: Record<string, unknown>, base: PropertyKey[]): Target[] {
  const out: Target[] = [];
  const field = (obj: Record<string, unknown>, key: string, at: PropertyKey[]): void => {
    const value = obj[key];
    if (typeof value === 'string') out.push({ at: [...at, key], get: () => obj[key], set: (v) => (obj[key] = v) });
    else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (typeof item === 'string') out.push({ at: [...at, key, i], get: () => value[i], set: (v) => (value[i] = v) });
      });
    }
  };
  field(entry, 'command', base);
  field(entry, 'cwd', base);
  if (isRecord(entry.env)) for (const key of Object.keys(entry.env)) field(entry.env, key, [...base, 'env']);
  if (isRecord(entry.health)) for (const key of ['http', 'tcp', 'exec']) field(entry.health, key, [...base, 'health']);
  return out;
}

const copy = <T>(value: T): T => structuredClone(value);

interface EntryResult {
  entry: Record<string, unknown>;
  errors: RawIssue[];
  warnings: RawIssue[];
  used: Set<string>;
}

function interpolateEntry(template: Record<string, unknown>, base: PropertyKey[], lookup: (name: string) => string | undefined, hint: (name: string) => string): EntryResult {
  // Most entries have no `$`: they are used as they are, not copied.
  if (!targets(template, base).some((t) => (t.get() as string).includes('$'))) return { entry: template, errors: [], warnings: [], used: new Set() };
  const entry = copy(template);
  const result: EntryResult = { entry, errors: [], warnings: [], used: new Set() };
  for (const target of targets(entry, base)) {
    const done = interpolate(target.get() as string, lookup);
    target.set(done.value);
    done.used.forEach((n) => result.used.add(n));
    for (const message of done.errors) result.errors.push({ path: target.at, message });
    for (const name of new Set(done.unset)) {
      result.warnings.push({ path: target.at, message: `\${${name}} is not set, so it is an empty string here${hint(name)}` });
    }
  }
  return result;
}

/** Reads the env files and interpolates the data (a copy: `data` is left as it is). */
export async function resolveEnv(data: unknown, dir: string, env: Env): Promise<EnvResolution> {
  const out: EnvResolution = { data, errors: [], warnings: [], replicaEntries: new Map(), envFiles: [] };
  if (!isRecord(data)) return out;
  const files = new EnvFiles(dir, env);
  const top = await files.load(data.env_file, ['env_file'], out.errors);
  const components = isRecord(data.components) ? data.components : {};
  const next: Record<string, unknown> = {};
  const dotenvBeside = existsSync(resolve(dir, '.env'));
  for (const [name, template] of Object.entries(components)) {
    if (!isRecord(template)) {
      next[name] = template;
      continue;
    }
    const base = ['components', name];
    const own = await files.load(template.env_file, [...base, 'env_file'], out.errors);
    const fileVars: Vars = { ...top, ...own };
    const listsDotenv = [data.env_file, template.env_file].some((v) => envFileEntries(v, []).some((e) => resolve(dir, e.file) === resolve(dir, '.env')));
    const hint = (v: string): string => {
      if (isRecord(template.env) && v in template.env) return ` (it is in this component's env:, which its process gets but interpolation does not read: write $\${${v}} to leave it to the process's shell)`;
      if (dotenvBeside && !listsDotenv) return ' (a .env file is beside the config: add env_file: .env to read it)';
      return '';
    };
    const replicas = typeof template.replicas === 'number' && Number.isInteger(template.replicas) && template.replicas >= 1 && template.replicas <= MAX_REPLICAS ? template.replicas : 0;
    const lookupFor =
      (component: string, replica: number) =>
      (v: string): string | undefined => {
        if (v === 'CORRAL_COMPONENT') return component;
        if (v === 'CORRAL_REPLICA' && replica > 0) return String(replica);
        return env[v] ?? fileVars[v];
      };
    const withFiles = (entry: Record<string, unknown>): Record<string, unknown> =>
      Object.keys(fileVars).length === 0 ? entry : { ...entry, env: isRecord(entry.env) ? { ...fileVars, ...entry.env } : entry.env === undefined ? { ...fileVars } : entry.env };
    const first = interpolateEntry(template, base, lookupFor(replicas > 0 ? `${name}-1` : name, replicas > 0 ? 1 : 0), hint);
    out.errors.push(...first.errors);
    out.warnings.push(...first.warnings);
    next[name] = withFiles(first.entry);
    if (replicas > 1 && REPLICA_VARS.some((v) => first.used.has(v))) {
      const entries = [next[name] as Record<string, unknown>];
      for (let i = 2; i <= replicas; i++) entries.push(withFiles(interpolateEntry(template, base, lookupFor(`${name}-${i}`, i), hint).entry));
      out.replicaEntries.set(name, entries);
    }
  }
  out.envFiles = [...files.read.keys()];
  out.data = isRecord(data.components) ? { ...data, components: next } : data;
  return out;
}
