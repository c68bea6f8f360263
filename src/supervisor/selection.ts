import type { ComponentConfig } from '../config/schema.js';
import { replicasOf } from '../config/replicas.js';
import { CorralError } from '../errors.js';

/**
 * What `corral up` asks to run: the names given (each with what it depends
 * on), else every component without `profiles` plus those in one of the
 * active profiles (with what they depend on). The rest is `inactive`.
 */
export interface Selection {
  names: string[];
  profiles: string[];
}

export const EVERYTHING: Selection = { names: [], profiles: [] };

type Components = Record<string, ComponentConfig>;

/** A name or profile the config does not have (`corral up NAME`, `--profile P`, `corral down NAME`): exit 2, HTTP 400. */
export class SelectionError extends CorralError {
  constructor(message: string) {
    super('CMP006', [message]);
  }
}

/** Every profile the components name, sorted. */
export function profilesOf(components: Components): string[] {
  return [...new Set(Object.values(components).flatMap((c) => c.profiles ?? []))].sort();
}

/**
 * The components these names stand for (the name of an entry with `replicas`
 * stands for its replicas); throws SelectionError naming the unknown ones and
 * the components there are.
 */
export function componentsNamed(components: Components, names: readonly string[]): string[] {
  const out: string[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const expanded = Object.hasOwn(components, name) ? [name] : replicasOf(components, name);
    if (!expanded) unknown.push(name);
    for (const n of expanded ?? []) if (!out.includes(n)) out.push(n);
  }
  if (unknown.length > 0) {
    const listed = unknown.map((n) => `"${n}"`).join(', ');
    const known = Object.keys(components);
    throw new SelectionError(`no component${unknown.length > 1 ? 's' : ''} named ${listed}; the components are: ${known.length > 0 ? known.join(', ') : '(none)'}`);
  }
  return out;
}

/** Throws SelectionError for a profile no component has, naming the profiles there are. */
export function checkProfiles(components: Components, profiles: readonly string[]): void {
  const known = profilesOf(components);
  const unknown = profiles.filter((p) => !known.includes(p));
  if (unknown.length === 0) return;
  const listed = unknown.map((p) => `"${p}"`).join(', ');
  throw new SelectionError(
    `no profile${unknown.length > 1 ? 's' : ''} named ${listed}; ${known.length > 0 ? `the profiles are: ${known.join(', ')}` : 'no component has `profiles`'}`,
  );
}

/** Checks a selection against the config (names and profiles): throws SelectionError. */
export function checkSelection(components: Components, selection: Selection): void {
  const off = componentsNamed(components, selection.names).filter((n) => !components[n]!.enabled);
  if (off.length > 0) throw new SelectionError(`${off.map((n) => `"${n}"`).join(', ')} ${off.length > 1 ? 'are' : 'is'} disabled (enabled: false in the config)`);
  checkProfiles(components, selection.profiles);
}

/** These and what they depend on, transitively (dependencies first). */
export function withDependencies(components: Components, names: readonly string[]): string[] {
  const out: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    const c = components[name];
    if (!c || out.includes(name) || path.has(name)) return;
    const inner = new Set(path).add(name);
    for (const dep of Object.keys(c.depends_on)) visit(dep, inner);
    out.push(name);
  };
  for (const name of names) visit(name, new Set());
  return out;
}

/** These and what depends on them, transitively. */
export function withDependants(components: Components, names: readonly string[]): string[] {
  const out = [...names];
  for (let i = 0; i < out.length; i++) {
    for (const [name, c] of Object.entries(components)) {
      if (out[i]! in c.depends_on && !out.includes(name)) out.push(name);
    }
  }
  return out;
}

/** Whether a component runs under these profiles: it has none, or one of them. */
export function inProfiles(component: Pick<ComponentConfig, 'profiles'>, profiles: readonly string[]): boolean {
  return !component.profiles || component.profiles.length === 0 || component.profiles.some((p) => profiles.includes(p));
}

/** The components a selection runs (enabled ones only; names unknown to this config are left out). */
export function selectedNames(components: Components, selection: Selection): Set<string> {
  const roots =
    selection.names.length > 0
      ? selection.names.flatMap((n) => (Object.hasOwn(components, n) ? [n] : (replicasOf(components, n) ?? [])))
      : Object.keys(components).filter((n) => inProfiles(components[n]!, selection.profiles));
  return new Set(withDependencies(components, roots).filter((n) => components[n]!.enabled));
}
