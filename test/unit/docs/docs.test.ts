import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README is the front door and docs/ the reference: these checks keep the
// links between them working and the front door short.
const root = resolve(import.meta.dirname, '../../..');

/** README.md, every page of docs/, bench/README.md and each first-party plugin's README. */
function pages(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f));
  const plugins = readdirSync(join(root, 'plugins'))
    .map((d) => join(root, 'plugins', d, 'README.md'))
    .filter((f) => existsSync(f));
  return [join(root, 'README.md'), join(root, 'bench', 'README.md'), ...docs, ...plugins];
}

/** Markdown without its fenced code blocks (a link inside code is not a link). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('the documentation', () => {
  it('every relative link in the README, docs/ and the benchmark and plugin READMEs reaches a file, and its #anchor a heading there', () => {
    const broken: string[] = [];
    for (const page of pages()) {
      const text = readFileSync(page, 'utf8');
      for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const file = path === '' ? page : resolve(dirname(page), path);
        const where = `${relative(root, page)}: ${target}`;
        if (!existsSync(file)) {
          broken.push(`${where} (no such file)`);
          continue;
        }
        if (anchor !== undefined && statSync(file).isFile() && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push(`${where} (no heading with that anchor)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('the README stays a front door: at most 300 lines, linking to every page of docs/', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
    const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs.filter((f) => !readme.includes(`](docs/${f}`))).toEqual([]);
  });

  it('bench/README.md gives the command of every benchmark `npm run bench` runs', () => {
    const run = spawnSync(process.execPath, ['bench/run.js', '--dry-run'], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(0);
    const commands = run.stdout.trim().split('\n');
    expect(commands.length).toBeGreaterThan(0);
    const bench = readFileSync(join(root, 'bench', 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(commands.filter((c) => !bench.includes(`\`${c}\``))).toEqual([]);
  });

  it('no comment cites a design file outside the repository', () => {
    const cited: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|js|mjs)$/.test(name) && readFileSync(path, 'utf8').includes('DESIGN §')) cited.push(relative(root, path));
      }
    };
    for (const dir of ['src', 'test', 'plugins', 'bench', 'scripts']) walk(join(root, dir));
    // This file names the pattern it looks for.
    expect(cited.filter((f) => f !== relative(root, import.meta.filename))).toEqual([]);
  });
});
