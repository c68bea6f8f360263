import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Path matching for `watch:` (src/supervisor/file-watch.ts): the globs of
 * `paths` and `ignore` (`*`, `**`, `?`, `{a,b}`, `[abc]`), relative to the
 * component's cwd, and the `.gitignore` files found under the watched roots.
 */

const GLOB_CHARS = /[*?[{]/;

/** A glob as a regular expression over a `/`-separated relative path. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      const atStart = i === 0 || glob[i - 1] === '/';
      if (atStart && slashAfter) {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '{') {
      const end = glob.indexOf('}', i);
      if (end === -1) out += '\\{';
      else {
        out += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((alt) => globToRegExp(alt).source.slice(1, -1))
          .join('|')})`;
        i = end;
      }
    } else if (ch === '[') {
      const end = glob.indexOf(']', i);
      if (end === -1) out += '\\[';
      else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += ch.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** The directory a pattern can match under (its segments before the first glob), relative to cwd: `src/**` → `src`. */
export function staticRoot(pattern: string): string {
  const segments = pattern.split('/');
  const fixed: string[] = [];
  for (const s of segments) {
    if (GLOB_CHARS.test(s)) break;
    fixed.push(s);
  }
  return fixed.join('/') || '.';
}

/**
 * Whether a relative path is matched by one pattern: the glob itself, or what
 * lies under what it matches (`src` and `src/**` both match `src/a/b.ts`); a
 * pattern without `/` matches a name at any depth (`*.log`, `node_modules`).
 */
function matchesPattern(re: RegExp, anyDepth: boolean, path: string): boolean {
  const parts = path.split('/');
  for (let n = 1; n <= parts.length; n++) {
    if (re.test(parts.slice(0, n).join('/'))) return true;
    if (anyDepth && re.test(parts[n - 1]!)) return true;
  }
  return false;
}

/** A compiled list of globs: `test(relPath)`. */
export function globSet(patterns: readonly string[]): (path: string) => boolean {
  const compiled = patterns.map((p) => {
    const clean = p.replace(/^\.\//, '').replace(/\/+$/, '');
    return { re: globToRegExp(clean), anyDepth: !clean.includes('/') };
  });
  return (path) => compiled.some((c) => matchesPattern(c.re, c.anyDepth, path));
}

interface IgnoreRule {
  re: RegExp;
  negate: boolean;
  dirOnly: boolean;
  anyDepth: boolean;
}

/** One `.gitignore`'s rules (comments, `!`, a trailing `/` for directories, `/` anchoring). */
export function parseGitignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.slice(0, -1);
    const anyDepth = !line.includes('/');
    line = line.replace(/^\//, '');
    if (line === '') continue;
    rules.push({ re: globToRegExp(line), negate, dirOnly, anyDepth });
  }
  return rules;
}

/**
 * The `.gitignore` files of the directories from each watched root down,
 * read once each when first needed. `ignored(abs, isDir)` applies those of
 * its ancestors, the deeper file's last matching rule winning.
 */
export function gitignoreJudge(roots: readonly string[]): { ignored(abs: string, isDir: boolean): boolean; forget(dir: string): void } {
  const cache = new Map<string, IgnoreRule[]>();
  const rulesOf = (dir: string): IgnoreRule[] => {
    let rules = cache.get(dir);
    if (rules === undefined) {
      try {
        rules = parseGitignore(readFileSync(join(dir, '.gitignore'), 'utf8'));
      } catch {
        rules = [];
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
      // Each ancestor's .gitignore judges the path relative to that ancestor.
      for (let depth = 0; depth < parts.length; depth++) {
        const dir = join(root, ...parts.slice(0, depth));
        const rel = parts.slice(depth);
        for (const rule of rulesOf(dir)) {
          // A directory rule matches the directory itself; what lies under it is pruned with it.
          if (rule.dirOnly && !isDir && rel.length === 1) continue;
          const hit = rule.anyDepth ? rel.some((_, i) => rule.re.test(rel[i]!) && (i < rel.length - 1 || isDir || !rule.dirOnly)) : rule.re.test(rel.join('/'));
          if (hit) verdict = !rule.negate;
        }
      }
      return verdict;
    },
    forget(dir) {
      cache.delete(dir);
    },
  };
}
