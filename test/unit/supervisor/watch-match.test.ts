import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitignoreJudge, globSet, staticRoot } from '../../../src/supervisor/watch-match.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('watch globs', () => {
  it('matches what lies under a pattern, at any depth for a bare name', () => {
    const m = globSet(['src/**', 'lib', '*.{ts,tsx}']);
    expect(m('src/a/b.js')).toBe(true);
    expect(m('lib/x.js')).toBe(true);
    expect(m('deep/down/c.tsx')).toBe(true);
    expect(m('docs/readme.md')).toBe(false);
    expect(globSet(['src/*.js'])('src/a/b.js')).toBe(false);
    expect(globSet(['src/**/test?.js'])('src/x/y/test1.js')).toBe(true);
  });

  it('watches the static root of each pattern', () => {
    expect(staticRoot('src/**')).toBe('src');
    expect(staticRoot('src/lib/*.ts')).toBe('src/lib');
    expect(staticRoot('**/*.ts')).toBe('.');
    expect(staticRoot('config.yaml')).toBe('config.yaml');
  });
});

describe('.gitignore under the watched roots', () => {
  it('applies each file to what lies under its directory: names, directories, anchors, negation', () => {
    const root = mkdtempSync(join(tmpdir(), 'corral-gitignore-'));
    dirs.push(root);
    mkdirSync(join(root, 'pkg'), { recursive: true });
    writeFileSync(join(root, '.gitignore'), '# comment\n*.log\n!keep.log\nbuild/\n/top.txt\n');
    writeFileSync(join(root, 'pkg', '.gitignore'), 'gen/\n');
    const g = gitignoreJudge([root]);
    expect(g.ignored(join(root, 'a.log'), false)).toBe(true);
    expect(g.ignored(join(root, 'pkg', 'deep', 'b.log'), false)).toBe(true);
    expect(g.ignored(join(root, 'keep.log'), false)).toBe(false);
    expect(g.ignored(join(root, 'build'), true)).toBe(true);
    expect(g.ignored(join(root, 'build'), false)).toBe(false);
    expect(g.ignored(join(root, 'top.txt'), false)).toBe(true);
    expect(g.ignored(join(root, 'pkg', 'top.txt'), false)).toBe(false);
    expect(g.ignored(join(root, 'pkg', 'gen'), true)).toBe(true);
    expect(g.ignored(join(root, 'gen'), true)).toBe(false);
    expect(g.ignored(join(root, 'pkg', 'src.js'), false)).toBe(false);
  });
});
