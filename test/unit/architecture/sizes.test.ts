import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The size limits docs/architecture.md sets for src/: no file over 450 lines,
// no function over 150 (a function's lines include what is nested in it).

const root = new URL('../../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

const files = sources(join(root, 'src'));

describe('src/ sizes', () => {
  it('no source file is over 450 lines', () => {
    const over = files.map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 })).filter((f) => f.lines > 450);
    expect(over).toEqual([]);
  });

  it('no function is over 150 lines', () => {
    const over: string[] = [];
    for (const file of files) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node): void => {
        if (ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n)) {
          const from = sf.getLineAndCharacterOfPosition(n.getStart()).line;
          const to = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
          if (to - from + 1 > 150) over.push(`${relative(root, file)}:${from + 1} (${to - from + 1} lines)`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(over).toEqual([]);
  });
});
