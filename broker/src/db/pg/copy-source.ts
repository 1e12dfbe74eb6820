/**
 * The SQLite side of `copy-to-postgres`: the broker's file brought to the current schema version (as the
 * broker does when it starts), then held still while it is read: one connection takes SQLite's write lock
 * (`BEGIN IMMEDIATE`, writing nothing) so that no broker writes the file during the copy, and a read-only
 * connection reads it in one snapshot. A broker still running fails its next write after its busy timeout;
 * a broker in the middle of a transaction makes the copy fail at once, saying to stop it.
 * @module
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { closeDatabase, openDatabase, type Db } from '../open.ts';

/** The file being copied. */
export interface CopySource {
  /** Read-only; every read sees the same snapshot. Integers come back as `bigint` (exact). */
  readonly db: Db;
  /** Ends the snapshot and lets go of the write lock. */
  close(): void;
}

/** True when `e` is SQLite's "database is locked" (another connection holds the write lock). */
const isBusy = (e: unknown): boolean => /^SQLITE_BUSY/.test(String((e as { code?: unknown }).code));

/** Takes the write lock on a connection of its own, or says the broker must be stopped. */
function holdWriteLock(path: string): Db {
  const guard = new Database(path, { fileMustExist: true });
  try {
    guard.pragma('busy_timeout = 0');
    guard.exec('BEGIN IMMEDIATE');
    return guard;
  } catch (e) {
    guard.close();
    if (isBusy(e)) throw new RangeError(`${path} is being written (a broker is running on it): stop the broker, then copy`, { cause: e });
    throw e;
  }
}

/**
 * Migrates the file at `path`, then opens it for reading, holding its write lock until `close`.
 * @example
 * const source = openCopySource('.data/broker.db');
 * try { source.db.prepare('SELECT count(*) FROM users').get(); } finally { source.close(); }
 */
export function openCopySource(path: string): CopySource {
  if (!existsSync(path)) throw new RangeError(`--db ${path}: no such file (copy-to-postgres copies an existing broker's SQLite file)`);
  closeDatabase(openDatabase(path));
  const guard = holdWriteLock(path);
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.defaultSafeIntegers(true);
    db.exec('BEGIN');
  } catch (e) {
    guard.exec('ROLLBACK');
    guard.close();
    throw e;
  }
  return {
    db,
    close() {
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
      guard.exec('ROLLBACK');
      guard.close();
    },
  };
}
