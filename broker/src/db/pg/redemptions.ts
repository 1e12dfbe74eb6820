/**
 * The writes of a redemption batch on PostgreSQL (the SQLite repository is db/redemptions.ts): the credited
 * coins in one statement (the batch, its coins per user and per page, a row per coin keyed by its first
 * ball's slot, in data-modifying CTEs), and the double spends in another, who was paid first looked up in it.
 * @module
 */
import type { BatchStamp, CreditedCoin, DoubleSpentCoin } from '../redemptions.ts';
import { SLOT_KEY_FILE, paidAtValue } from '../redeemed-convert.ts';
import type { RedemptionsRepo } from '../store.ts';
import type { Query } from './database.ts';

/**
 * SQL: the slot key of slot `slot` in the epoch whose `mint_files` row is `m` (bigint: no * 2^29 + slot).
 * @example
 * `SELECT r.batch FROM mint_files m JOIN redeemed r ON r.slot_key = ${slotKeySql('m', '$2')} WHERE m.epoch = $1`;
 */
export const slotKeySql = (m: string, slot: string): string => `${m}.no::bigint * ${SLOT_KEY_FILE} + ${slot}`;

/**
 * One statement for a batch's credited coins; its one row names the first epoch (in request order) that has
 * no mint file, if any (then its coins were not recorded). Parameters: vendor, batch, time, then the coins'
 * epochs, slots, users, URLs, paid milliseconds and paid texts.
 */
const INSERT_REDEEMED = `
WITH c AS (
  SELECT * FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::text[])
    WITH ORDINALITY AS c (epoch, slot, user_id, url, paid_ms, paid_text, ord)
), b AS (
  INSERT INTO redeemed_batches (vendor_id, batch_id, coins, redeemed_at) VALUES ($1, $2, cardinality($4::text[]), $3) RETURNING id
), payers AS (
  INSERT INTO redeemed_payers (batch, user_id, coins) SELECT b.id, c.user_id, count(*) FROM b, c GROUP BY b.id, c.user_id
), p AS (
  INSERT INTO redeemed_pages AS r (vendor_id, url, coins, last_redeemed_at)
  SELECT $1, url, count(*), $3 FROM c GROUP BY url ORDER BY min(ord)
  ON CONFLICT (vendor_id, url) DO UPDATE SET coins = r.coins + excluded.coins,
    last_redeemed_at = greatest(r.last_redeemed_at COLLATE "C", excluded.last_redeemed_at)
  RETURNING id, url
), coins AS (
  INSERT INTO redeemed (slot_key, batch, page, paid_ms, paid_text)
  SELECT ${slotKeySql('m', 'c.slot')}, b.id, p.id, c.paid_ms, c.paid_text
    FROM c JOIN mint_files m ON m.epoch = c.epoch JOIN p ON p.url = c.url CROSS JOIN b ORDER BY c.ord
)
SELECT (SELECT c.epoch FROM c WHERE NOT EXISTS (SELECT 1 FROM mint_files m WHERE m.epoch = c.epoch) ORDER BY c.ord LIMIT 1) AS missing`;

/**
 * One statement for a batch's double spends, in request order: one record per (epoch, coin) of the batch
 * (its first occurrence's user and reason, its occurrences as attempts) added to the vendor's record of the
 * coin, each naming the vendor the coin's slot was redeemed for first. Parameters: vendor, batch, time, then
 * the coins' epochs, ids, slots, users and reasons.
 */
const RECORD_DOUBLE_SPENDS = `
INSERT INTO double_spends AS ds (epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at, attempts, last_batch_id, last_at)
SELECT d.epoch, d.coin_id, d.user_id, $1,
       (SELECT b.vendor_id FROM mint_files m JOIN redeemed r ON r.slot_key = ${slotKeySql('m', 'd.slot')}
          JOIN redeemed_batches b ON b.id = r.batch WHERE m.epoch = d.epoch),
       $2, d.reason, $3, d.n, $2, $3
  FROM (SELECT epoch, coin_id, (array_agg(user_id ORDER BY ord))[1] AS user_id, (array_agg(slot ORDER BY ord))[1] AS slot,
               (array_agg(reason ORDER BY ord))[1] AS reason, count(*) AS n, min(ord) AS first
          FROM unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[]) WITH ORDINALITY AS c (epoch, coin_id, slot, user_id, reason, ord)
         GROUP BY epoch, coin_id) d
 ORDER BY d.first
ON CONFLICT (epoch, coin_id, vendor_id) DO UPDATE SET attempts = ds.attempts + excluded.attempts,
  last_batch_id = excluded.last_batch_id, last_at = excluded.last_at`;

/** `paid_ms` of a coin paid at `paidAtValue(paidAt)`: milliseconds since 1970 when its text was canonical, else null. */
export const paidMs = (v: number | string): number | null => (typeof v === 'number' ? v : null);
/** `paid_text` of a coin paid at `paidAtValue(paidAt)`: the text when it was not canonical, else null. */
export const paidText = (v: number | string): string | null => (typeof v === 'string' ? v : null);

/**
 * The batch redemption repository on PostgreSQL.
 * @example
 * const redemptions = pgRedemptionsRepo(db.query);
 * await redemptions.insertRedeemed({ vendorId, batchId, at }, [{ epoch, slot, userId, url, paidAt }]);
 */
export function pgRedemptionsRepo(q: Query): RedemptionsRepo {
  return {
    /**
     * Records the coins a batch credited, in one statement. Throws (and the batch's transaction rolls back)
     * when a coin was recorded before or its epoch has no mint file.
     */
    async insertRedeemed(s: BatchStamp, coins: readonly CreditedCoin[]): Promise<void> {
      if (coins.length === 0) return;
      const paid = coins.map((c) => paidAtValue(c.paidAt));
      const [row] = await q<{ missing: string | null }>(INSERT_REDEEMED, [
        s.vendorId,
        s.batchId,
        s.at,
        coins.map((c) => c.epoch),
        coins.map((c) => c.slot),
        coins.map((c) => c.userId),
        coins.map((c) => c.url),
        paid.map(paidMs),
        paid.map(paidText),
      ]);
      if (row!.missing !== null) throw new RangeError(`epoch ${row!.missing} has no mint file: its coins cannot be recorded`);
    },
    /**
     * Records double spends in request order, in one statement: one record per (epoch, coin, vendor) with
     * its attempts counted, each naming the vendor the coin was redeemed for first (null if none).
     */
    async recordDoubleSpends(s: BatchStamp, coins: readonly DoubleSpentCoin[]): Promise<void> {
      if (coins.length === 0) return;
      await q(RECORD_DOUBLE_SPENDS, [
        s.vendorId,
        s.batchId,
        s.at,
        coins.map((c) => c.epoch),
        coins.map((c) => c.coinId),
        coins.map((c) => c.slot),
        coins.map((c) => c.userId),
        coins.map((c) => c.reason),
      ]);
    },
  };
}
