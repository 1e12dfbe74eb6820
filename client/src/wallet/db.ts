/**
 * Opening the wallet file: SQLite in WAL mode with a busy timeout, so that several processes can
 * share one wallet (every write is a `BEGIN IMMEDIATE` transaction that waits its turn), and
 * `synchronous = FULL`, so that a transaction that committed (coins marked spent) survives a
 * crash or a power cut before the request it pays for leaves.
 * @module
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

/** The wallet's database handle. */
export type WalletDb = Database.Database;

/** How long a write waits for another process's transaction before it fails, in milliseconds. */
export const BUSY_TIMEOUT_MS = 15_000;

/**
 * Opens (creating if needed, mode 0600 in a directory of mode 0700) and migrates the wallet file.
 * @example
 * const db = openWalletDb('/home/me/.micromint/wallet.db');
 */
export function openWalletDb(file: string): WalletDb {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/**
 * Runs `fn` in one `BEGIN IMMEDIATE` transaction: the write lock is taken before the first read,
 * so no other process (or other call in this one) can read the same unspent coin in between.
 * `fn` must be synchronous; if it throws, nothing it wrote is kept.
 * @example
 * const n = immediate(db, () => db.prepare('SELECT count(*) AS n FROM payments').get());
 */
export const immediate = <T>(db: WalletDb, fn: () => T): T => db.transaction(fn).immediate();
