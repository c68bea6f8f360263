import type { z } from 'zod';
import { didYouMean } from './suggest.js';
import { composeKeyHint } from './compose-hints.js';
import { objectKeysAt } from './schema-keys.js';

/** One problem in a config file: where (dotted path, and line/column when known) and what. */
export interface ConfigIssue {
  /** Dotted path such as `components.router.restart.policy`; empty for the file as a whole. */
  path: string;
  message: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based column in the file, when known. */
  column?: number;
}

/** An issue before it is placed in the file: the path is still a list of keys. */
export interface RawIssue {
  path: PropertyKey[];
  message: string;
  /** Point at the key itself rather than its value (unknown keys). */
  atKey?: boolean;
}

/** `components.web.command[1]`: dots between keys, brackets for array indices. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

/**
 * Turns zod issues into RawIssues: paths made absolute under `prefix`, one
 * issue per unknown key (with the key in its path and a likely correction),
 * and unions reported by what each branch expected instead of "Invalid input".
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType, prefix: PropertyKey[] = []): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const known = objectKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        out.push({ path: [...path, key], message: `unknown key "${key}"${composeKeyHint(key) ?? didYouMean(key, known)}`, atKey: true });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      out.push({ path, message: describeUnion(issue.errors, path) });
    } else if (isItemTypeIssue(issue)) {
      // `[1]` of a list of strings: said at the list, as the union's list branch is.
      out.push({ path: path.slice(0, -1), message: describeItems([issue], path.slice(0, -1)) });
    } else if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A bad record key (a component name): say why, not "Invalid key in record".
      out.push({ path, message: issue.issues.map((i) => i.message).join('; '), atKey: true });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/** A string expected at an index of a list (`command: ["sleep", 100]`'s `[1]`). */
function isItemTypeIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_type' && issue.expected === 'string' && issue.path.length > 0 && typeof issue.path[issue.path.length - 1] === 'number';
}

/** `the number 100`, `true`, `a mapping`, `null`: what was written where a string was expected. */
function describeValue(input: unknown): { text: string; quotable: boolean } {
  if (typeof input === 'number') return { text: `the number ${input}`, quotable: true };
  if (typeof input === 'boolean') return { text: String(input), quotable: true };
  if (input === null) return { text: 'null (an empty value)', quotable: false };
  if (Array.isArray(input)) return { text: 'a list', quotable: false };
  if (typeof input === 'object') return { text: 'a mapping', quotable: false };
  return { text: 'nothing', quotable: false };
}

/**
 * `each argument must be a string (got the number 100 at [1]; quote it)`: the
 * items of a list of strings that are not strings (numbers and booleans, which
 * YAML reads from unquoted `100` and `true`, get "quote it").
 */
function describeItems(issues: readonly z.core.$ZodIssue[], path: readonly PropertyKey[]): string {
  const what = path[path.length - 1] === 'command' ? 'each argument' : 'each item';
  const got = issues.map((i) => {
    const value = describeValue((i as { input?: unknown }).input);
    return { text: `${value.text} at [${String(i.path[i.path.length - 1])}]`, quotable: value.quotable };
  });
  const shown = got.slice(0, 3).map((g) => g.text);
  if (got.length > 3) shown.push(`${got.length - 3} more`);
  const quote = got.every((g) => g.quotable) ? `; quote ${got.length === 1 ? 'it' : 'them'}` : '';
  return `${what} must be a string (got ${shown.join(', ')}${quote})`;
}

function describeUnion(branches: readonly (readonly z.core.$ZodIssue[])[], path: readonly PropertyKey[]): string {
  // A list branch that failed only on items (command: ["sleep", 100]): the items are what is wrong.
  const items = branches.find((b) => b.length > 0 && b.every((i) => isItemTypeIssue(i) && i.path.length === 1));
  if (items) return describeItems(items, path);
  const expected = new Set<string>();
  for (const branch of branches) {
    for (const issue of branch) {
      if (issue.code === 'invalid_type' && issue.path.length === 0) expected.add(issue.expected);
      else return issue.message;
    }
  }
  return expected.size > 0 ? `expected ${[...expected].join(' or ')}` : 'invalid value';
}
