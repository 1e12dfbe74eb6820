/**
 * The PayWord keys on PostgreSQL (the broker's key pair, users' wallet keys, vendors' X25519 keys): the
 * SQLite repository's methods (../payword-keys.ts), a statement each.
 * @module
 */
import type { PaywordKeysRepo } from '../store.ts';
import type { Query } from './database.ts';

/** The purpose of the broker's one key pair, as in the SQLite repository. */
const AUTHORIZATION = 'payword-authorization';

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b);

/**
 * The payword keys repository on PostgreSQL.
 * @example
 * const keys = pgPaywordKeysRepo(database.query);
 * const connected = await keys.hasWalletKey(userId, publicKey);
 */
export function pgPaywordKeysRepo(q: Query): PaywordKeysRepo {
  return {
    async brokerKey() {
      const [r] = await q<{ secret_key: Buffer; public_key: Buffer }>('SELECT secret_key, public_key FROM broker_keys WHERE purpose = $1', [
        AUTHORIZATION,
      ]);
      return r && { secretKey: bytes(r.secret_key), publicKey: bytes(r.public_key) };
    },
    async insertBrokerKey(secretKey, publicKey, at) {
      await q(
        'INSERT INTO broker_keys (purpose, secret_key, public_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (purpose) DO NOTHING',
        [AUTHORIZATION, Buffer.from(secretKey), Buffer.from(publicKey), at],
      );
    },
    walletKeys: async (userId) =>
      (
        await q<{ key: Buffer; created_at: string }>(
          'SELECT key, created_at FROM wallet_keys WHERE user_id = $1 ORDER BY created_at, key',
          [userId],
        )
      ).map((r) => ({ key: bytes(r.key), createdAt: r.created_at })),
    hasWalletKey: async (userId, key) =>
      (await q('SELECT 1 FROM wallet_keys WHERE user_id = $1 AND key = $2', [userId, Buffer.from(key)])).length > 0,
    async countWalletKeys(userId) {
      const [r] = await q<{ n: number }>('SELECT count(*) AS n FROM wallet_keys WHERE user_id = $1', [userId]);
      return r!.n;
    },
    async insertWalletKey(userId, key, at) {
      await q('INSERT INTO wallet_keys (user_id, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (user_id, key) DO NOTHING', [
        userId,
        Buffer.from(key),
        at,
      ]);
    },
    deleteWalletKey: async (userId, key) =>
      (await q('DELETE FROM wallet_keys WHERE user_id = $1 AND key = $2 RETURNING 1', [userId, Buffer.from(key)])).length === 1,
    async vendorKey(vendorId) {
      const [r] = await q<{ key: Buffer; updated_at: string }>('SELECT key, updated_at FROM vendor_payword_keys WHERE vendor_id = $1', [
        vendorId,
      ]);
      return r && { key: bytes(r.key), updatedAt: r.updated_at };
    },
    async setVendorKey(vendorId, key, at) {
      await q(
        `INSERT INTO vendor_payword_keys (vendor_id, key, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (vendor_id) DO UPDATE SET key = excluded.key, updated_at = excluded.updated_at`,
        [vendorId, Buffer.from(key), at],
      );
    },
  };
}
