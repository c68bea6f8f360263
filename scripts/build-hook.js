#!/usr/bin/env node
// Bundles `corral hook` (src/cli/hook-bin.ts and what it imports) into one
// CommonJS file, dist/corral-hook.cjs, which bin/corral runs for `hook`: one
// file to read and compile instead of a dozen ES modules resolved one by one,
// on the path Claude Code waits on for every hook. `yaml` (read only when a
// hook is spooled for a daemon that is down) stays a require of the package.
// Run by `npm run build`, and by the tests' global setup when the bundle is
// older than a source it was made from (dist/corral-hook.meta.json lists them).
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
export const OUT = join(root, 'dist', 'corral-hook.cjs');

const result = await build({
  entryPoints: [join(root, 'src', 'cli', 'hook-bin.ts')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.19',
  external: ['yaml'],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  // src/cli/args.ts brings in src/cli/main.ts, whose `--version` reads package.json through import.meta.url
  // (empty in CommonJS); `corral hook` never takes that path, so the warning would only alarm every install.
  logOverride: { 'empty-import-meta': 'silent' },
  banner: { js: '// Built by scripts/build-hook.js from src/cli/hook-bin.ts: do not edit.' },
});
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, join(root, p)));
writeFileSync(join(root, 'dist', 'corral-hook.meta.json'), `${JSON.stringify({ inputs }, null, 1)}\n`);
const bytes = result.metafile.outputs[relative(root, OUT)]?.bytes ?? 0;
process.stdout.write(`corral hook: ${inputs.length} sources → dist/corral-hook.cjs (${(bytes / 1024).toFixed(1)} KB)\n`);
