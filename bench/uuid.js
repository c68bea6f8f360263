#!/usr/bin/env node
// corral's own UUIDs (src/util/uuid.ts: v4 for connections and the like, v7 for
// events published without an id) against the `uuid` package and Node's
// crypto.randomUUID, in one run: median ns per id over 5 rounds of 1,000,000.
// `npm run build` first.
import { randomUUID } from 'node:crypto';
import { v4, v7 } from 'uuid';

const { uuid, uuidv7 } = await import('../dist/src/util/uuid.js');
const N = 1_000_000;
const ROUNDS = 5;

function median(f) {
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) f();
    times.push(Number(process.hrtime.bigint() - t0) / N);
  }
  return times.sort((a, b) => a - b)[ROUNDS >> 1];
}

const rows = [
  ['v7', 'corral uuidv7', uuidv7],
  ['v7', 'uuid v7', v7],
  ['v4', 'corral uuid', uuid],
  ['v4', 'uuid v4', v4],
  ['v4', 'crypto.randomUUID', randomUUID],
];
for (const [, , f] of rows) median(f); // warm-up
const ns = rows.map(([, , f]) => median(f));
console.log('| version | implementation | ns per id (median) |');
console.log('|---|---|---|');
rows.forEach(([version, name], i) => console.log(`| ${version} | ${name} | ${ns[i].toFixed(1)} |`));
