/**
 * Vendors and what they redeem, on PostgreSQL (the SQLite repository is db/vendors.ts): stored batch
 * answers, the redeemed coins (written by redemptions.ts) and double spends.
 * @module
 */
import type { VendorsRepo } from '../store.ts';
import { toVendor, type DoubleSpendRecord, type VendorRecord, type VendorRow } from '../vendors.ts';
import type { Query } from './database.ts';
import { slotKeySql } from './redemptions.ts';
import { sqliteLimit } from './sql.ts';

/**
 * SQL: the 16-byte ball of the slot with key `k` in its chunk row `c` of mint_balls (present, xs): the
 * r-th ball of xs, r = the present slots below its bit.
 */
const ballOfKeySql = (c: string, k: string): string =>
  `substr(${c}.xs, bit_count((${c}.present::bigint & ((1::bigint << (${k} & 31)::int) - 1))::bit(32))::int * 16 + 1, 16)`;

/** The vendor a coin was redeemed for: the epoch's redeemed slots scanned for the coin's first ball. */
const REDEEMED_BY = `
SELECT b.vendor_id FROM mint_files m
  JOIN redeemed r ON r.slot_key BETWEEN ${slotKeySql('m', '0')} AND ${slotKeySql('m', '536870911')}
  JOIN mint_balls c ON c.id = r.slot_key >> 5
  JOIN redeemed_batches b ON b.id = r.batch
 WHERE m.epoch = $1 AND encode(${ballOfKeySql('c', 'r.slot_key')}, 'hex') = $2
 LIMIT 1`;

const DOUBLE_SPEND_COLUMNS = `epoch, coin_id AS "coinId", user_id AS "userId", vendor_id AS "vendorId", first_vendor_id AS "firstVendorId",
  batch_id AS "batchId", reason, created_at AS "createdAt", attempts`;

/**
 * The vendors repository on PostgreSQL.
 * @example
 * const vendors = pgVendorsRepo(db.query);
 * const vendor = await vendors.byKeyHash(sha256(apiKey));
 */
export function pgVendorsRepo(q: Query): VendorsRepo {
  const vendors = async (sql: string, values: unknown[] = []): Promise<VendorRecord[]> => (await q<VendorRow>(sql, values)).map(toVendor);
  const sum = async (sql: string, values: unknown[] = []): Promise<number> => (await q<{ n: number }>(sql, values))[0]!.n;
  const changed = async (sql: string, values: unknown[]): Promise<number> => (await q(sql, values)).length;
  return {
    async insert(id: string, name: string, apiKeyHash: Uint8Array, ownerUserId: string | null, at: string): Promise<void> {
      await q('INSERT INTO vendors (id, name, api_key_hash, owner_user_id, created_at) VALUES ($1, $2, $3, $4, $5)', [
        id,
        name,
        Buffer.from(apiKeyHash),
        ownerUserId,
        at,
      ]);
    },
    byId: async (id: string): Promise<VendorRecord | undefined> => (await vendors('SELECT * FROM vendors WHERE id = $1', [id]))[0],
    byKeyHash: async (hash: Uint8Array): Promise<VendorRecord | undefined> =>
      (await vendors('SELECT * FROM vendors WHERE api_key_hash = $1', [Buffer.from(hash)]))[0],
    all: (): Promise<VendorRecord[]> => vendors('SELECT * FROM vendors ORDER BY name COLLATE "C", id COLLATE "C"'),
    ofOwner: (userId: string): Promise<VendorRecord[]> =>
      vendors('SELECT * FROM vendors WHERE owner_user_id = $1 ORDER BY created_at COLLATE "C", id COLLATE "C"', [userId]),
    /** Disables a vendor; returns false when it was disabled already. */
    disable: async (id: string, reason: string, at: string): Promise<boolean> =>
      (await changed('UPDATE vendors SET disabled = 1, disabled_reason = $1, disabled_at = $2 WHERE id = $3 AND disabled = 0 RETURNING 1', [
        reason,
        at,
        id,
      ])) === 1,
    /** Enables a vendor again, from `at` on (complaints filed before `at` no longer count). */
    enable: async (id: string, at: string): Promise<boolean> =>
      (await changed(
        'UPDATE vendors SET disabled = 0, disabled_reason = NULL, disabled_at = NULL, enabled_at = $1 WHERE id = $2 RETURNING 1',
        [at, id],
      )) === 1,
    async batch(vendorId: string, batchId: string): Promise<{ requestDigest: Uint8Array; answer: string } | undefined> {
      const [r] = await q<{ request_digest: Buffer; answer: string }>(
        'SELECT request_digest, answer FROM redemption_batches WHERE vendor_id = $1 AND batch_id = $2',
        [vendorId, batchId],
      );
      return r && { requestDigest: r.request_digest, answer: r.answer };
    },
    async insertBatch(
      vendorId: string,
      batchId: string,
      digest: Uint8Array,
      answer: string,
      credited: number,
      refused: number,
      at: string,
    ): Promise<void> {
      await q(
        `INSERT INTO redemption_batches (vendor_id, batch_id, request_digest, answer, credited, refused, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [vendorId, batchId, Buffer.from(digest), answer, credited, refused, at],
      );
    },
    /** Deletes all but the newest `keep` stored batches of a vendor that credited nothing. */
    pruneRefusedBatches: (vendorId: string, keep: number): Promise<number> =>
      changed(
        `DELETE FROM redemption_batches WHERE vendor_id = $1 AND credited = 0 AND id <= (
           SELECT id FROM redemption_batches WHERE vendor_id = $1 AND credited = 0 ORDER BY id DESC LIMIT 1 OFFSET greatest($2::bigint, 0))
         RETURNING 1`,
        [vendorId, keep],
      ),
    /** The vendor a coin was redeemed for, if it was (a scan of the epoch's redeemed coins: for audits and tests). */
    redeemedBy: async (epoch: string, coinId: string): Promise<string | undefined> =>
      (await q<{ vendor_id: string }>(REDEEMED_BY, [epoch, coinId]))[0]?.vendor_id,
    /** Records a double spend attempt: a new record, or one more attempt on the coin's record at this vendor. */
    async recordDoubleSpend(r: Omit<DoubleSpendRecord, 'attempts'>): Promise<void> {
      await q(
        `INSERT INTO double_spends AS ds (epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at, attempts, last_batch_id, last_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $6, $8)
         ON CONFLICT (epoch, coin_id, vendor_id) DO UPDATE SET attempts = ds.attempts + 1, last_batch_id = excluded.batch_id,
           last_at = excluded.created_at`,
        [r.epoch, r.coinId, r.userId, r.vendorId, r.firstVendorId, r.batchId, r.reason, r.createdAt],
      );
    },
    /** Coins redeemed, and double spend attempts (counting repeats). */
    async counts(vendorId: string): Promise<{ redeemed: number; doubleSpends: number }> {
      const [r] = await q<{ redeemed: number; doubleSpends: number }>(
        `SELECT (SELECT coalesce(sum(coins), 0) FROM redeemed_batches WHERE vendor_id = $1) AS redeemed,
                (SELECT coalesce(sum(attempts), 0) FROM double_spends WHERE vendor_id = $1) AS "doubleSpends"`,
        [vendorId],
      );
      return r!;
    },
    recentDoubleSpends: (vendorId: string, limit = 20): Promise<DoubleSpendRecord[]> =>
      q<DoubleSpendRecord>(
        `SELECT ${DOUBLE_SPEND_COLUMNS} FROM double_spends WHERE vendor_id = $1 ORDER BY last_at COLLATE "C" DESC, id DESC LIMIT $2`,
        [vendorId, sqliteLimit(limit)],
      ),
    totalRedeemed: (): Promise<number> => sum('SELECT coalesce(sum(coins), 0) AS n FROM redeemed_batches'),
    totalDoubleSpends: (): Promise<number> => sum('SELECT coalesce(sum(attempts), 0) AS n FROM double_spends'),
    doubleSpendsOfUser: (userId: string): Promise<number> =>
      sum('SELECT coalesce(sum(attempts), 0) AS n FROM double_spends WHERE user_id = $1', [userId]),
    /** Coins of a user that vendors redeemed. */
    redeemedOfUser: (userId: string): Promise<number> =>
      sum('SELECT coalesce(sum(coins), 0) AS n FROM redeemed_payers WHERE user_id = $1', [userId]),
  };
}
