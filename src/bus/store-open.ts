import { CorralError } from '../errors.js';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import Database from 'better-sqlite3';
import { createEventStore, type EventStoreOptions } from './store.js';
import type { EventStore } from './types.js';

/** The files SQLite keeps for one database in WAL mode. */
export function storeFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/** The event store cannot be opened, and corral cannot fix it itself; the message names the file and what to do. */
export class StoreOpenError extends CorralError {
  constructor(
    message: string,
    /** The file at fault (the database, its -wal or -shm, or their directory). */
    readonly file: string,
  ) {
    super('STO002', [message]);
  }
}

/** A damaged store that was moved aside so corral could start with a new one. */
export interface StoreRecovery {
  /** Why it was judged damaged (SQLite's words). */
  reason: string;
  /** Where the damaged database now is (its -wal and -shm beside it, same suffix). */
  movedTo: string;
}

export interface OpenedStore {
  store: EventStore;
  /** Set when the old database was damaged and is now at `movedTo`. */
  recovered: StoreRecovery | null;
}

const CORRUPT = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/**
 * Opens the event store after checking it (`PRAGMA quick_check`, which reads
 * every page once but checks no index against its table). A damaged database
 * (corrupted, truncated, not a database at all) is moved aside as
 * `events.db.corrupt-<time>` with its -wal and -shm, and a new one is made:
 * the components must run, and a store that refuses every write would lose
 * corral's own events silently. A file corral may not write (the database,
 * its -wal or its -shm, or the directory) is not corral's to move: that is a
 * StoreOpenError naming the file and what to do. Every file of the store is
 * made 0600, whatever the directory's mode and the umask.
 */
export function openCheckedStore(opts: EventStoreOptions, now: () => Date = () => new Date()): OpenedStore {
  mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
  let recovered: StoreRecovery | null = null;
  const problem = checkStore(opts.file);
  if (problem) {
    const movedTo = `${opts.file}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
    moveAside(opts.file, movedTo);
    recovered = { reason: problem, movedTo };
  }
  restrictStoreFiles(opts.file);
  let store: EventStore;
  try {
    store = createEventStore(opts);
  } catch (err) {
    throw describeOpenError(opts.file, err);
  }
  // SQLite gives the -wal and -shm the database's mode; made here in case they predate it.
  restrictStoreFiles(opts.file);
  return { store, recovered };
}

/** Creates the database file 0600 when missing (SQLite would make it 0644 less the umask), and makes every existing store file 0600. */
export function restrictStoreFiles(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of storeFiles(file)) {
    try {
      if ((statSync(f).mode & 0o777) !== 0o600) chmodSync(f, 0o600);
    } catch {
      // Absent (no -wal yet), or not ours: opening it says what is wrong.
    }
  }
}

/** Null when the store is sound (or absent), else why it is damaged; throws a StoreOpenError when it cannot be written. */
function checkStore(file: string): string | null {
  if (!existsSync(file)) return null;
  let db: Database.Database | null = null;
  try {
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const findings = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    return findings.length === 0 ? null : `quick_check: ${findings.slice(0, 3).join('; ')}${findings.length > 3 ? ` (and ${findings.length - 3} more)` : ''}`;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (CORRUPT.has(code)) return `${code}: ${(err as Error).message}`;
    throw describeOpenError(file, err);
  } finally {
    try {
      db?.close();
    } catch {}
  }
}

/** Moves the database and its -wal and -shm aside under one suffix (a -wal without its database would be applied to the next one). */
function moveAside(file: string, to: string): void {
  const suffix = to.slice(file.length);
  for (const f of storeFiles(file)) {
    if (!existsSync(f)) continue;
    try {
      renameSync(f, `${f}${suffix}`);
    } catch (err) {
      throw new StoreOpenError(
        `the event store ${file} is damaged and cannot be moved aside (${f}: ${(err as Error).message}); with corral down, move or remove ${basename(file)}, ${basename(file)}-wal and ${basename(file)}-shm in ${dirname(file)}`,
        f,
      );
    }
  }
}

/** Whether this process may write the file (tried, not judged from the mode: root, ACLs and immutable files differ). */
function writable(file: string): boolean {
  try {
    closeSync(openSync(file, 'r+'));
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * SQLite's error says "attempt to write a readonly database" whichever of the
 * store's files is at fault: find the one, and say what to do about it.
 */
export function describeOpenError(file: string, err: unknown): StoreOpenError {
  const raw = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
  const dir = dirname(file);
  for (const f of storeFiles(file)) {
    if (writable(f)) continue;
    const fix =
      f === file
        ? `make it writable (chmod u+w ${f}) or, with corral down, move it aside (corral then starts a new store)`
        : `it is left over from an earlier run: with corral down, remove it (SQLite makes a new one) or make it writable (chmod u+w ${f})`;
    return new StoreOpenError(`cannot open the event store: ${f} cannot be written (${raw}); ${fix}`, f);
  }
  try {
    const probe = `${dir}/.corral-write-test-${process.pid}`;
    closeSync(openSync(probe, 'w', 0o600));
    unlinkSync(probe);
  } catch (e) {
    return new StoreOpenError(`cannot open the event store ${file}: its directory ${dir} cannot be written (${(e as Error).message}; SQLite needs it for the -wal and -shm files); make it writable`, dir);
  }
  return new StoreOpenError(`cannot open the event store ${file} (${raw})`, file);
}
