import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve('.');

/**
 * Compiles the CLI entry and the attach command, and every module they import
 * (followed by their relative imports), to plain JS in `outDir` without type
 * checking, so a test can run the real `corral` CLI as a child process in
 * seconds instead of running the whole build. Returns the path of a runnable
 * entry script (`node ENTRY attach NAME ...`).
 */
export function transpileCli(outDir: string, entries = ['src/cli/main.ts', 'src/cli/attach.ts']): string {
  const queue = entries.map((e) => resolve(ROOT, e));
  const done = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      fileName: file,
    });
    const out = join(outDir, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
    // Type-only imports are gone from the output, so only runtime dependencies are followed.
    for (const m of outputText.matchAll(/(?:from\s*|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  // Bare imports (ws, node-pty, ...) resolve through the project's node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(outDir, 'node_modules'));
  writeFileSync(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
  const entry = join(outDir, 'corral.mjs');
  writeFileSync(entry, `import { main } from './src/cli/main.js';\nawait main(process.argv.slice(2));\n`);
  return entry;
}
