import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Transpiles a source module and every module it imports relatively into
 * plain JS under `node_modules/.cache/` (so bare imports such as better-sqlite3
 * still resolve), for fixture programs that run under plain `node`. Type
 * checking is `tsc`'s job; this only strips types. Returns the entry's path.
 * The output directory is reused between runs (`outName` names it). It is
 * also named after the checkout: git worktrees that share one node_modules
 * (a symlink) must not overwrite each other's transpiled sources.
 */
export function transpileSrc(entry: string, outName: string): string {
  const checkout = createHash('sha256').update(ROOT).digest('hex').slice(0, 8);
  const outDir = join(ROOT, 'node_modules', '.cache', 'corral-test', checkout, outName);
  const seen = new Set<string>();
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    const out = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    // Write then rename: test files running in parallel may be importing the same output.
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, outputText);
    renameSync(tmp, out);
    // Only runtime imports survive transpiling; follow the relative ones, dynamic `import('./x.js')` included.
    for (const m of outputText.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  return join(outDir, relative(ROOT, resolve(ROOT, entry))).replace(/\.ts$/, '.js');
}
