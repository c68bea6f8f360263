// The `watch:` path matcher (src/supervisor/watch-match.ts) of this checkout against another
// build's, side by side in one process: what chokidar asks it while it scans and watches
// 10,000 files (100 directories × 100 files, as bench/everyday.js's watch row).
//
//   npx tsc -p tsconfig.build.json && node bench/watch-match.js [--build DIR] [--runs 7]
//
// For each build: the time to compile the globs and read the .gitignore files, then
// ns per call of the glob test (`paths` and `ignore`) and of the .gitignore judge, over
// every path of the tree, medians of --runs passes, builds alternating.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machine, median, printTable } from './lib.js';

const { values } = parseArgs({ options: { build: { type: 'string' }, runs: { type: 'string', default: '7' } } });
const runs = Math.max(1, Number(values.runs));
const builds = [{ label: 'this checkout', root: resolve(import.meta.dirname, '..') }];
if (values.build) builds.push({ label: values.build, root: resolve(values.build) });
for (const b of builds) b.m = await import(join(b.root, 'dist', 'src', 'supervisor', 'watch-match.js'));

const dir = mkdtempSync(join(tmpdir(), 'corral-bench-watch-match-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const rel = [];
for (let d = 0; d < 100; d++) {
  mkdirSync(join(dir, 'src', `d${d}`), { recursive: true });
  for (let f = 0; f < 100; f++) rel.push(`src/d${d}/f${f}.${f % 10 === 0 ? 'log' : 'js'}`);
}
writeFileSync(join(dir, 'src', '.gitignore'), '# build output\n*.log\n!keep.log\nbuild/\n/top.txt\nnode_modules\n');
writeFileSync(join(dir, 'src', 'd1', '.gitignore'), 'gen/\n*.tmp\n');
const abs = rel.map((r) => join(dir, r));
const paths = ['src/**/*.{js,ts}', 'config/*.yaml'];
const ignore = ['.git', 'node_modules', '**/*.test.js', 'dist'];

const rows = [];
const times = new Map(builds.map((b) => [b.label, { compile: [], glob: [], git: [] }]));
for (let i = 0; i < runs; i++) {
  for (const b of i % 2 === 0 ? builds : [...builds].reverse()) {
    const t = times.get(b.label);
    let t0 = performance.now();
    const wanted = b.m.globSet(paths);
    const unwanted = b.m.globSet(ignore);
    const git = b.m.gitignoreJudge([join(dir, 'src')]);
    git.ignored(abs[0], false);
    t.compile.push(performance.now() - t0);
    let hits = 0;
    t0 = performance.now();
    for (const r of rel) if (wanted(r) && !unwanted(r)) hits++;
    t.glob.push(((performance.now() - t0) * 1e6) / rel.length);
    t0 = performance.now();
    for (const a of abs) if (git.ignored(a, false)) hits++;
    t.git.push(((performance.now() - t0) * 1e6) / abs.length);
    if (hits === 0) throw new Error(`${b.label}: matched nothing`);
  }
}
for (const b of builds) {
  const t = times.get(b.label);
  rows.push([b.label, fmt(median(t.compile), 2), fmt(median(t.glob)), fmt(median(t.git))]);
}
if (builds.length > 1) {
  const [a, o] = builds.map((b) => times.get(b.label));
  rows.push(['this ÷ other', ...['compile', 'glob', 'git'].map((k) => `${(median(a[k]) / median(o[k])).toFixed(2)}×`)]);
}
printTable(
  `watch: matcher over ${rel.length} paths (medians of ${runs} passes, builds alternating; ${machine()})`,
  ['build', 'compile + first .gitignore read, ms', 'globs (paths and ignore), ns per path', '.gitignore judge, ns per path'],
  rows,
);
