#!/usr/bin/env node
// After `vite build`: writes NAME.gz and NAME.br beside each text file of dist/web (the daemon
// serves them as they are, src/server/static.ts), and prints what the first view loads, compressed.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = join(import.meta.dirname, '..', 'dist', 'web');
const TEXT = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.webmanifest']);

function walk(d) {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const sizes = new Map();
for (const file of walk(dir)) {
  if (!TEXT.has(extname(file))) continue;
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  if (raw.length > 256) {
    writeFileSync(`${file}.gz`, gz);
    writeFileSync(`${file}.br`, br);
  }
  sizes.set(`/${relative(dir, file)}`, { raw: raw.length, gz: gz.length, br: br.length });
}

// The first view: index.html and what it links (scripts, styles, the icon).
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const linked = ['/index.html', ...[...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1])];
let raw = 0;
let gz = 0;
let br = 0;
for (const p of linked) {
  const s = sizes.get(p);
  if (!s) continue;
  raw += s.raw;
  gz += s.gz;
  br += s.br;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
process.stdout.write(`dashboard: first view ${kb(raw)} (${kb(gz)} gzip, ${kb(br)} brotli) in ${linked.length} files → ${relative(process.cwd(), dir)}\n`);
