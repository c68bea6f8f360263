/**
 * The subset of npm's semver ranges a plugin states its `corral` version in
 * (fastify-plugin's `fastify: '4.x'` is the model): `1.2.3`, `=1.2.3`,
 * `>=`, `>`, `<=`, `<`, `^1.2.3`, `~1.2.3`, wildcards (`*`, `1.x`, `1.2.x`),
 * several comparators separated by spaces (all must hold) and alternatives
 * joined by `||`. Pre-release tags are compared as lower than the release.
 */

type Triple = [number, number, number, string];

function parseVersion(text: string): Triple | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ''] : null;
}

function compare(a: Triple, b: Triple): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  if (a[3] === b[3]) return 0;
  if (a[3] === '') return 1;
  if (b[3] === '') return -1;
  return a[3] < b[3] ? -1 : 1;
}

/** A partial version (`1`, `1.2`, `1.x`, `*`): the parts given, and how many there are. */
function parsePartial(text: string): { parts: number[]; pre: string } | null {
  if (text === '' || text === '*' || text === 'x' || text === 'X') return { parts: [], pre: '' };
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?$/.exec(text);
  if (!m) return null;
  const parts: number[] = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || /^[xX*]$/.test(p)) break;
    parts.push(Number(p));
  }
  return { parts, pre: m[4] ?? '' };
}

type Test = (v: Triple) => boolean;

function comparator(token: string): Test | null {
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.*)$/.exec(token);
  if (!m) return null;
  const op = m[1] ?? '';
  const partial = parsePartial(m[2]!);
  if (!partial) return null;
  const [major = 0, minor = 0, patch = 0] = partial.parts;
  const n = partial.parts.length;
  const low: Triple = [major, minor, patch, partial.pre];
  const at = (v: Triple, bound: Triple) => compare(v, bound);
  const bump = (i: number): Triple => (i === 0 ? [major + 1, 0, 0, ''] : i === 1 ? [major, minor + 1, 0, ''] : [major, minor, patch + 1, '']);
  switch (op) {
    case '>=':
      return (v) => at(v, low) >= 0;
    case '<':
      return (v) => at(v, low) < 0;
    case '>':
      return n === 3 ? (v) => at(v, low) > 0 : n === 0 ? () => false : (v) => at(v, bump(n - 1)) >= 0;
    case '<=':
      return n === 3 ? (v) => at(v, low) <= 0 : n === 0 ? () => true : (v) => at(v, bump(n - 1)) < 0;
    case '^': {
      // The left-most non-zero part may not change.
      const upper = major > 0 || n < 2 ? bump(0) : minor > 0 || n < 3 ? bump(1) : bump(2);
      return (v) => at(v, low) >= 0 && at(v, upper) < 0;
    }
    case '~': {
      const upper = n <= 1 ? bump(0) : bump(1);
      return (v) => at(v, low) >= 0 && at(v, upper) < 0;
    }
    default:
      if (n === 0) return () => true;
      if (n === 3) return (v) => at(v, low) === 0;
      return (v) => at(v, low) >= 0 && at(v, bump(n - 1)) < 0;
  }
}

/** Parses a range; null when it is not one. */
export function parseRange(range: string): Test | null {
  const alternatives: Test[][] = [];
  for (const part of range.split('||')) {
    // `>= 1.2.0` is one comparator: join an operator to the version after it.
    const tokens = part.trim().replace(/(\^|~|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
    const tests: Test[] = [];
    for (const token of tokens.length ? tokens : ['*']) {
      const t = comparator(token);
      if (!t) return null;
      tests.push(t);
    }
    alternatives.push(tests);
  }
  return (v) => alternatives.some((tests) => tests.every((t) => t(v)));
}

/** Whether `version` satisfies `range`; throws when either is malformed, saying which. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  if (!v) throw new Error(`"${version}" is not a version (MAJOR.MINOR.PATCH)`);
  const test = parseRange(range);
  if (!test) throw new Error(`"${range}" is not a version range (e.g. ">=0.1.0", "^0.1.0", "0.x")`);
  return test(v);
}
