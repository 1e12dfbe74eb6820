/**
 * Small named values of the wallet file: whose it is (`userId`), which broker it belongs to
 * (`broker`), its Ed25519 wallet key (`walletKey`, the secret as hex).
 * @module
 */
import type { WalletDb } from './db.ts';

/** The names the wallet keeps. */
export type MetaKey = 'userId' | 'broker' | 'walletKey' | 'walletKeyConnected';

/** The value of `key`, or undefined. */
export const getMeta = (db: WalletDb, key: MetaKey): string | undefined =>
  (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;

/** Sets `key` (inside the caller's transaction, if any). */
export const setMeta = (db: WalletDb, key: MetaKey, value: string): void => {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
};
