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
      out.push({ path, message: describeUnion(issue.errors) });
    } else if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      // A bad record key (a component name): say why, not "Invalid key in record".
      out.push({ path, message: issue.issues.map((i) => i.message).join('; '), atKey: true });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

function describeUnion(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const expected = new Set<string>();
  for (const branch of branches) {
    for (const issue of branch) {
      if (issue.code === 'invalid_type' && issue.path.length === 0) expected.add(issue.expected);
      else return issue.message;
    }
  }
  return expected.size > 0 ? `expected ${[...expected].join(' or ')}` : 'invalid value';
}
