import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';

/**
 * Path matching for `watch:` (src/supervisor/file-watch.ts): the globs of
 * `paths` and `ignore` (picomatch: `*`, `**`, `?`, `{a,b}`, `[abc]`),
 * relative to the component's cwd, and the `.gitignore` files found under
 * the watched roots (the `ignore` package: git's own rules).
 */

/** The directory a pattern can match under (its segments before the first glob), relative to cwd: `src/**` → `src`. */
export function staticRoot(pattern: string): string {
  const { base, isGlob } = picomatch.scan(pattern);
  return (isGlob ? base : pattern) || '.';
}

/**
 * A compiled list of globs: `test(relPath)`. A path matches a pattern when
 * the glob matches it or what it lies under (`src` and `src/**` both match
 * `src/a/b.ts`); a pattern without `/` matches a name at any depth (`*.log`,
 * `node_modules`). Dot files match like any other.
 */
export function globSet(patterns: readonly string[]): (path: string) => boolean {
  const globs: string[] = [];
  for (const p of patterns) {
    const clean = p.replace(/^\.\//, '').replace(/\/+$/, '');
    const at = clean.includes('/') ? clean : `**/${clean}`;
    globs.push(at, `${at}/**`);
  }
  if (globs.length === 0) return () => false;
  return picomatch(globs, { dot: true });
}

/**
 * The `.gitignore` files of the directories from each watched root down,
 * read once each when first needed. `ignored(abs, isDir)` applies those of
 * its ancestors, each to the path relative to its own directory, the deeper
 * file's verdict winning (git's order).
 */
export function gitignoreJudge(roots: readonly string[]): { ignored(abs: string, isDir: boolean): boolean; forget(dir: string): void } {
  const cache = new Map<string, Ignore | null>();
  const rulesOf = (dir: string): Ignore | null => {
    let rules = cache.get(dir);
    if (rules === undefined) {
      try {
        rules = ignore().add(readFileSync(join(dir, '.gitignore'), 'utf8'));
      } catch {
        rules = null;
      }
      cache.set(dir, rules);
    }
    return rules;
  };
  return {
    ignored(abs, isDir) {
      const root = roots.find((r) => abs === r || abs.startsWith(r + sep));
      if (root === undefined || abs === root) return false;
      const parts = relative(root, abs).split(sep);
      let verdict = false;
      for (let depth = 0; depth < parts.length; depth++) {
        const rules = rulesOf(join(root, ...parts.slice(0, depth)));
        if (!rules) continue;
        // A directory is asked about with a trailing `/`, so `build/` matches it and not a file named build.
        const result = rules.test(parts.slice(depth).join('/') + (isDir ? '/' : ''));
        if (result.ignored) verdict = true;
        else if (result.unignored) verdict = false;
      }
      return verdict;
    },
    forget(dir) {
      cache.delete(dir);
    },
  };
}
