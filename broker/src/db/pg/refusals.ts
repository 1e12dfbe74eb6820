/**
 * Coins refused at redemption, on PostgreSQL (the SQLite repository is db/refusals.ts): a counter per
 * vendor, day and reason, and the newest few kept in full.
 * @module
 */
import type { RejectedCoinRecord } from '../refusals.ts';
import type { RefusalsRepo } from '../store.ts';
import type { Query } from './database.ts';
import { countDeleted, sqliteLimit } from './sql.ts';

/**
 * The refusals repository on PostgreSQL.
 * @example
 * const refusals = pgRefusalsRepo(db.query);
 * await refusals.count('https://shop.example', '2026-05-01', 'forged', 3);
 */
export function pgRefusalsRepo(q: Query): RefusalsRepo {
  const one = async (sql: string, values: unknown[]): Promise<number> => (await q<{ n: number }>(sql, values))[0]!.n;
  return {
    async insertRejected(r: RejectedCoinRecord): Promise<void> {
      await q(
        `INSERT INTO rejected_coins (vendor_id, batch_id, epoch, user_id, coin_id, coin, url, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.vendorId, r.batchId, r.epoch, r.userId, r.coinId, r.coin, r.url, r.reason, r.createdAt],
      );
    },
    /** Adds `n` refusals of `reason` to a vendor's counter for `day` (YYYY-MM-DD). */
    async count(vendorId: string, day: string, reason: string, n: number): Promise<void> {
      await q(
        `INSERT INTO refusal_counts AS r (vendor_id, day, reason, count) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vendor_id, day, reason) DO UPDATE SET count = r.count + excluded.count`,
        [vendorId, day, reason, n],
      );
    },
    /** Deletes all but the newest `keep` refused coins kept in full for a vendor. */
    prune: (vendorId: string, keep: number): Promise<number> =>
      countDeleted(
        q,
        `DELETE FROM rejected_coins WHERE vendor_id = $1 AND id <= (
           SELECT id FROM rejected_coins WHERE vendor_id = $1 ORDER BY id DESC LIMIT 1 OFFSET greatest($2::bigint, 0))`,
        [vendorId, keep],
      ),
    /** Coins ever refused to a vendor. */
    total: (vendorId: string): Promise<number> =>
      one('SELECT coalesce(sum(count), 0) AS n FROM refusal_counts WHERE vendor_id = $1', [vendorId]),
    /** Coins ever refused to a vendor, per reason, most frequent first. */
    byReason: async (vendorId: string): Promise<{ reason: string; count: number }[]> =>
      q<{ reason: string; count: number }>(
        `SELECT reason, sum(count) AS count FROM refusal_counts WHERE vendor_id = $1
          GROUP BY reason ORDER BY 2 DESC, reason COLLATE "C"`,
        [vendorId],
      ),
    /** Refused coins of a vendor kept in full. */
    kept: (vendorId: string): Promise<number> => one('SELECT count(*) AS n FROM rejected_coins WHERE vendor_id = $1', [vendorId]),
    recent: (vendorId: string, limit = 20): Promise<RejectedCoinRecord[]> =>
      q<RejectedCoinRecord>(
        `SELECT vendor_id AS "vendorId", batch_id AS "batchId", epoch, user_id AS "userId", coin_id AS "coinId", coin, url, reason,
                created_at AS "createdAt" FROM rejected_coins WHERE vendor_id = $1 ORDER BY id DESC LIMIT $2`,
        [vendorId, sqliteLimit(limit)],
      ),
  };
}
