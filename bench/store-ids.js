// What the store's unique index of event ids costs an insert, by the kind of id.
//
//   npm run build && node bench/store-ids.js [--rounds 3] [--events 100000] [--batch 200]
//
// The store's own schema and write path (SCHEMA_SQL, ensureUniqueIds,
// ensureHostColumn, createSyncWriter over toRows), WAL with synchronous=NORMAL
// as the store opens it, in this thread. Each variant fills a fresh database
// with `events` events, then writes `events` more while retention keeps the
// newest `events` (a pass every tenth, as the store's retention does); the CPU
// time of the writes of that second half (toRows and the transaction, not
// making the events), per event, is the figure. Variants alternate
// round by round; medians of the rounds.
//   no id index: the schema without events_id (as before 8624528);
//   v4 ids:      the unique index, random ids (src/util/uuid.ts uuid);
//   v7 ids:      the unique index, time-ordered ids (uuidv7, what the bus gives an event without one).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { fmt, machine, median, printTable } from './lib.js';

const { SCHEMA_SQL, ensureHostColumn, ensureUniqueIds } = await import('../dist/src/bus/store-sql.js');
const { createSyncWriter, toRows } = await import('../dist/src/bus/store-writer.js');
const { uuid, uuidv7 } = await import('../dist/src/util/uuid.js');

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, events: { type: 'string', default: '100000' }, batch: { type: 'string', default: '200' } },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);

const VARIANTS = [
  { name: 'no id index', index: false, id: uuid },
  { name: 'v4 ids', index: true, id: uuid },
  { name: 'v7 ids', index: true, id: () => uuidv7() },
];

const SESSION = '5b0d3c62-8f1e-4c2a-9d7b-0e4f6a1c2b3d';
function entry(seq, id) {
  const event = {
    id,
    timestamp: Date.now(),
    version: '1.0',
    event_type: 'PreToolUse',
    hook_event_type: 'PreToolUse',
    source: 'claude-code',
    source_app: 'app',
    session_id: SESSION,
    payload: { session_id: SESSION, cwd: '/home/dev/app', hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'npm test' }, i: seq },
  };
  return { seq, event, json: JSON.stringify(event) };
}

/** µs of CPU per event written once the table holds EVENTS rows. */
function run(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-ids-'));
  const db = new Database(join(dir, 'events.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA_SQL);
    if (variant.index) ensureUniqueIds(db);
    ensureHostColumn(db);
    const writer = createSyncWriter(db);
    let seq = 0;
    // CPU µs of the store's part only (toRows and the transaction), not of making the events.
    const write = (n) => {
      let us = 0;
      for (let done = 0; done < n; done += BATCH) {
        const entries = [];
        for (let i = 0; i < BATCH; i++) entries.push(entry(++seq, variant.id()));
        const prune = seq % Math.max(BATCH, Math.floor(EVENTS / 10)) < BATCH ? { keep: EVENTS, before: 0 } : undefined;
        const c0 = process.cpuUsage();
        writer.write(toRows(entries), prune);
        const c = process.cpuUsage(c0);
        us += c.user + c.system;
      }
      return us;
    };
    write(EVENTS);
    return write(EVENTS) / EVENTS;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = VARIANTS.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const v of order) {
    const us = run(v);
    results[VARIANTS.indexOf(v)].push(us);
    console.log(`round ${r + 1} ${v.name.padEnd(12)} ${fmt(us, 1)} µs CPU per event`);
  }
}
const base = median(results[0]);
printTable(
  `Store inserts: ${EVENTS} events written into a store holding ${EVENTS} (retention keeping it there), batches of ${BATCH}, medians of ${ROUNDS} rounds\n` +
    `Machine: ${machine()}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  ['variant', 'µs CPU per event', 'vs no id index', 'each round'],
  VARIANTS.map((v, i) => [v.name, fmt(median(results[i]), 1), `${(median(results[i]) / base).toFixed(2)}×`, results[i].map((u) => fmt(u, 1)).join(', ')]),
);
