import type { z } from 'zod';

// Zod keeps a schema's structure in `_zod.def`; these are the wrapper kinds
// that only decorate an inner schema and can be looked through.
const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  catchall?: z.ZodType;
}

// A plugin's schema need only have `safeParse` (see the loader): one made with zod 3, or by hand, has no
// `_zod` and is looked at as a schema of no known kind (no keys to suggest, nothing dropped silently).
const UNKNOWN: Def = { type: 'unknown' };
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod?: { def?: Def } })._zod?.def ?? UNKNOWN;

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

function childOf(schema: z.ZodType, segment: PropertyKey): z.ZodType | undefined {
  const def = defOf(unwrap(schema));
  switch (def.type) {
    case 'object':
      return def.shape?.[String(segment)];
    case 'record':
      return def.valueType;
    case 'array':
      return def.element;
    case 'union':
      for (const option of def.options ?? []) {
        const child = childOf(option, segment);
        if (child) return child;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The keys an object schema accepts at `path` inside `schema` (record keys and
 * array indices are looked through), or an empty list when there is no object there.
 */
export function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    current = current && childOf(current, segment);
    if (!current) return [];
  }
  const def = defOf(unwrap(current));
  if (def.type === 'object') return Object.keys(def.shape ?? {});
  if (def.type === 'union') return (def.options ?? []).flatMap((option) => objectKeysAt(option, []));
  return [];
}

/**
 * True for a plain `z.object` (no catchall), which would drop unknown keys
 * silently; config keys must never be dropped silently, so callers treat it
 * as strict. `z.looseObject` and `z.strictObject` say what they want.
 */
export function stripsUnknownKeys(schema: z.ZodType): boolean {
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.catchall === undefined;
}
