/**
 * Opens the broker's SQLite database with the settings money needs, then brings its schema up to date.
 * @module
 */
import Database from 'better-sqlite3';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';
import { migrate } from './migrations.ts';

/** A better-sqlite3 connection. */
export type Db = Database.Database;

const checkpointers = new WeakMap<Db, Checkpointer>();

/**
 * Opens (or creates) the database at `path`: WAL journal, `synchronous = FULL` (in WAL mode, each commit
 * fsyncs the WAL before it returns: a commit that returned is on disk, and it may hold a payment), foreign
 * keys enforced, a busy timeout for a second process, and WAL checkpoints in a worker thread, off the
 * request path (checkpointer.ts). Close it with {@link closeDatabase}.
 * @example
 * const db = openDatabase('/var/lib/micromint/broker.db');
 */
export function openDatabase(path: string): Db {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('dbPath must be a non-empty string');
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    checkpointers.set(db, startCheckpointer(db));
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** Stops the database's checkpointer and closes it (nothing when it is closed already). */
export function closeDatabase(db: Db): void {
  checkpointers.get(db)?.stop();
  checkpointers.delete(db);
  if (db.open) db.close();
}

/** Runs `fn` in an IMMEDIATE transaction (the write lock is taken at BEGIN, so two writers never interleave). */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/** The current time as an ISO 8601 string (the form every timestamp column holds). */
export const isoNow = (now: Date): string => now.toISOString();
