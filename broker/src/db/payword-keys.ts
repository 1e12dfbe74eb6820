/**
 * The keys of the PayWord scheme as stored: the broker's own Ed25519 key pair (it signs authorizations),
 * the wallet keys users connected to their accounts, and the X25519 key each vendor registered.
 * @module
 */
import type { Db } from './open.ts';

/** The purpose of the broker's one key pair (a table row, so the key is made once and kept). */
const AUTHORIZATION = 'payword-authorization';

/** A wallet key connected to an account. */
export interface WalletKeyRecord {
  key: Uint8Array;
  createdAt: string;
}

/** A vendor's registered X25519 key. */
export interface VendorKeyRecord {
  key: Uint8Array;
  updatedAt: string;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b);

/** SQL for the broker's, the wallets' and the vendors' payword keys. */
export function paywordKeysRepo(db: Db) {
  const q = {
    brokerKey: db.prepare<[string], { secret_key: Buffer; public_key: Buffer }>(
      'SELECT secret_key, public_key FROM broker_keys WHERE purpose = ?',
    ),
    insertBrokerKey: db.prepare('INSERT OR IGNORE INTO broker_keys (purpose, secret_key, public_key, created_at) VALUES (?, ?, ?, ?)'),
    walletKeys: db.prepare<[string], { key: Buffer; created_at: string }>(
      'SELECT key, created_at FROM wallet_keys WHERE user_id = ? ORDER BY created_at, key',
    ),
    hasWalletKey: db.prepare<[string, Buffer], number>('SELECT 1 FROM wallet_keys WHERE user_id = ? AND key = ?').pluck(),
    countWalletKeys: db.prepare<[string], number>('SELECT count(*) FROM wallet_keys WHERE user_id = ?').pluck(),
    insertWalletKey: db.prepare('INSERT OR IGNORE INTO wallet_keys (user_id, key, created_at) VALUES (?, ?, ?)'),
    deleteWalletKey: db.prepare('DELETE FROM wallet_keys WHERE user_id = ? AND key = ?'),
    vendorKey: db.prepare<[string], { key: Buffer; updated_at: string }>(
      'SELECT key, updated_at FROM vendor_payword_keys WHERE vendor_id = ?',
    ),
    setVendorKey: db.prepare(
      `INSERT INTO vendor_payword_keys (vendor_id, key, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (vendor_id) DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at`,
    ),
  };
  return {
    /** The broker's authorization key pair, if it was made. */
    brokerKey(): { secretKey: Uint8Array; publicKey: Uint8Array } | undefined {
      const r = q.brokerKey.get(AUTHORIZATION);
      return r && { secretKey: bytes(r.secret_key), publicKey: bytes(r.public_key) };
    },
    /** Stores the key pair unless one is stored already (another process may have been first). */
    insertBrokerKey(secretKey: Uint8Array, publicKey: Uint8Array, at: string): void {
      q.insertBrokerKey.run(AUTHORIZATION, Buffer.from(secretKey), Buffer.from(publicKey), at);
    },
    walletKeys: (userId: string): WalletKeyRecord[] =>
      q.walletKeys.all(userId).map((r) => ({ key: bytes(r.key), createdAt: r.created_at })),
    hasWalletKey: (userId: string, key: Uint8Array): boolean => q.hasWalletKey.get(userId, Buffer.from(key)) !== undefined,
    countWalletKeys: (userId: string): number => q.countWalletKeys.get(userId) ?? 0,
    /** Connects a key; connecting one already connected changes nothing. */
    insertWalletKey(userId: string, key: Uint8Array, at: string): void {
      q.insertWalletKey.run(userId, Buffer.from(key), at);
    },
    /** Disconnects a key; returns false when it was not connected. */
    deleteWalletKey: (userId: string, key: Uint8Array): boolean => q.deleteWalletKey.run(userId, Buffer.from(key)).changes === 1,
    vendorKey(vendorId: string): VendorKeyRecord | undefined {
      const r = q.vendorKey.get(vendorId);
      return r && { key: bytes(r.key), updatedAt: r.updated_at };
    },
    /** Registers or replaces a vendor's key. */
    setVendorKey(vendorId: string, key: Uint8Array, at: string): void {
      q.setVendorKey.run(vendorId, Buffer.from(key), at);
    },
  };
}

/** The payword keys repository. */
export type PaywordKeysRepo = ReturnType<typeof paywordKeysRepo>;
