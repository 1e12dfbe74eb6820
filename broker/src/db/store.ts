/**
 * The broker's store: one SQLite database and its repositories, one per concept.
 * @module
 */
import { accountsRepo } from './accounts.ts';
import { chainsRepo } from './chains.ts';
import { complaintsRepo } from './complaints.ts';
import { creditsRepo } from './credits.ts';
import { earningsRepo } from './earnings.ts';
import { epochsRepo } from './epochs.ts';
import { closeDatabase, inTransaction, openDatabase, type Db } from './open.ts';
import { paywordKeysRepo } from './payword-keys.ts';
import { redemptionsRepo } from './redemptions.ts';
import { refusalsRepo } from './refusals.ts';
import { setsRepo } from './sets.ts';
import { tokensRepo } from './tokens.ts';
import { vendorSessionsRepo } from './vendor-sessions.ts';
import { vendorsRepo } from './vendors.ts';

/** The database and its repositories. */
export interface Store {
  db: Db;
  epochs: ReturnType<typeof epochsRepo>;
  accounts: ReturnType<typeof accountsRepo>;
  sets: ReturnType<typeof setsRepo>;
  vendors: ReturnType<typeof vendorsRepo>;
  complaints: ReturnType<typeof complaintsRepo>;
  credits: ReturnType<typeof creditsRepo>;
  refusals: ReturnType<typeof refusalsRepo>;
  /** A redemption batch's writes, a statement each. */
  redemptions: ReturnType<typeof redemptionsRepo>;
  /** PayWord: the broker's key pair, wallet keys, vendor keys. */
  paywordKeys: ReturnType<typeof paywordKeysRepo>;
  /** PayWord: authorized chains and their clearings. */
  chains: ReturnType<typeof chainsRepo>;
  /** Readers' API tokens (the token API). */
  tokens: ReturnType<typeof tokensRepo>;
  /** Vendor dashboard sessions. */
  vendorSessions: ReturnType<typeof vendorSessionsRepo>;
  /** A vendor's earnings per page and per day (the dashboard). */
  earnings: ReturnType<typeof earningsRepo>;
  /** Runs `fn` in one IMMEDIATE transaction: all of it is written, or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/**
 * Opens the store at `dbPath` (created and migrated when needed).
 * @example
 * const store = openStore('broker.db');
 * store.epochs.current(new Date());
 */
export function openStore(dbPath: string): Store {
  const db = openDatabase(dbPath);
  return {
    db,
    epochs: epochsRepo(db),
    accounts: accountsRepo(db),
    sets: setsRepo(db),
    vendors: vendorsRepo(db),
    complaints: complaintsRepo(db),
    credits: creditsRepo(db),
    refusals: refusalsRepo(db),
    redemptions: redemptionsRepo(db),
    paywordKeys: paywordKeysRepo(db),
    chains: chainsRepo(db),
    tokens: tokensRepo(db),
    vendorSessions: vendorSessionsRepo(db),
    earnings: earningsRepo(db),
    transaction: <T>(fn: () => T): T => inTransaction(db, fn),
    close: () => closeDatabase(db),
  };
}
