/**
 * Opening the wallet database, with one migration per schema version.
 *
 * A migration only ever adds: stores, indexes, or a rewrite of records inside the upgrade
 * transaction. Opening at version N runs every migration after the stored version in order, so a
 * wallet from any older release reaches the newest schema without losing a coin.
 * @module
 */
import { openDB, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { WalletSchema } from './schema.ts';

/** The wallet database handle. */
export type WalletDb = IDBPDatabase<WalletSchema>;

/** Name of the IndexedDB database. */
export const WALLET_DB_NAME = 'micromint-wallet';

type UpgradeTx = IDBPTransaction<WalletSchema, StoreNames<WalletSchema>[], 'versionchange'>;
type Migration = (db: WalletDb, tx: UpgradeTx) => void;

/**
 * Migrations, index i brings the database from version i to version i+1.
 * - v1: epochs, sets, balls, payments, withdrawals, history, meta.
 * - v2: returns for credit (returns store, balls by return) and payments by URL, which the
 *   resend-after-a-lost-response path looks up.
 * - v3: PayWord chains: the wallet key (`keys`), what the wallet knows of each broker
 *   (`brokers`), the chains (`chains`, by vendor and by status), and payments by vendor and time
 *   (how often the reader paid a site lately: the policy that opens a chain).
 * - v4: budgets (`budgets`, per site and `'*'` for the whole wallet) and what was paid per site per
 *   day (`spending`, keyed [site, day], by day for the month's total, the chart and pruning). A
 *   wallet from before starts with no budget and no spending: it pays as it did.
 */
export const MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.createObjectStore('epochs', { keyPath: 'id' });
    db.createObjectStore('sets', { keyPath: 'id' }).createIndex('by-epoch', 'epoch');
    const balls = db.createObjectStore('balls', { keyPath: ['epoch', 'x'] });
    balls.createIndex('by-set', 'set');
    balls.createIndex('by-epoch-role-state', ['epoch', 'role', 'state']);
    balls.createIndex('by-payment', 'paymentId');
    const payments = db.createObjectStore('payments', { keyPath: 'id' });
    payments.createIndex('by-created', 'createdAt');
    payments.createIndex('by-state', 'state');
    db.createObjectStore('withdrawals', { keyPath: 'withdrawalId' });
    db.createObjectStore('history', { keyPath: 'id', autoIncrement: true }).createIndex('by-at', 'at');
    db.createObjectStore('meta', { keyPath: 'key' });
  },
  (db, tx) => {
    db.createObjectStore('returns', { keyPath: 'id' }).createIndex('by-epoch', 'epoch');
    tx.objectStore('balls').createIndex('by-return', 'returnId');
    tx.objectStore('payments').createIndex('by-url', 'url');
  },
  (db, tx) => {
    db.createObjectStore('keys', { keyPath: 'id' });
    db.createObjectStore('brokers', { keyPath: 'broker' });
    const chains = db.createObjectStore('chains', { keyPath: 'id' });
    chains.createIndex('by-vendor', 'vendorId');
    chains.createIndex('by-status', 'status');
    tx.objectStore('payments').createIndex('by-vendor-created', ['vendorId', 'createdAt']);
  },
  (db) => {
    db.createObjectStore('budgets', { keyPath: 'site' });
    db.createObjectStore('spending', { keyPath: ['site', 'day'] }).createIndex('by-day', 'day');
  },
];

/** The newest schema version. */
export const WALLET_DB_VERSION = MIGRATIONS.length;

/**
 * Opens (creating or upgrading) the wallet database.
 * @param version - open an older version; tests use it to check migrations
 * @example
 * const db = await openWallet();
 * const coins = await balance(db);
 */
export async function openWallet(name = WALLET_DB_NAME, version = WALLET_DB_VERSION): Promise<WalletDb> {
  if (!Number.isSafeInteger(version) || version < 1 || version > WALLET_DB_VERSION)
    throw new RangeError(`version must be 1..${WALLET_DB_VERSION}`);
  return openDB<WalletSchema>(name, version, {
    upgrade(db, oldVersion, newVersion, tx) {
      for (let v = oldVersion; v < (newVersion ?? version); v++) MIGRATIONS[v]!(db, tx);
    },
    blocking(_current, _blocked, event) {
      // A newer wallet (e.g. an updated extension page) wants to upgrade: step aside.
      (event.target as IDBDatabase).close();
    },
  });
}
