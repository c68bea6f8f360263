import semver from 'semver';

/**
 * A plugin states the corral versions it works with as an npm semver range
 * (fastify-plugin's `fastify: '4.x'` is the model): `>=0.1.0`, `^0.1.0`,
 * `0.x`, `>=1.2.0 <2.0.0`, `1.x || >=2.4.0`… (the `semver` package, as npm
 * reads them). A pre-release is lower than its release and is in no range
 * that does not name one.
 */

/** Parses a range; null when it is not one. */
export function parseRange(range: string): ((version: string) => boolean) | null {
  const valid = semver.validRange(range);
  if (valid === null) return null;
  const parsed = new semver.Range(valid);
  return (version) => parsed.test(version);
}

/** Whether `version` satisfies `range`; throws when either is malformed, saying which. */
export function satisfies(version: string, range: string): boolean {
  if (semver.valid(version) === null) throw new Error(`"${version}" is not a version (MAJOR.MINOR.PATCH)`);
  const test = parseRange(range);
  if (!test) throw new Error(`"${range}" is not a version range (e.g. ">=0.1.0", "^0.1.0", "0.x")`);
  return test(version);
}
