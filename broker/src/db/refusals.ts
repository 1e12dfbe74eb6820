/**
 * Coins refused at redemption: a counter per vendor, day and reason for every one, and the newest few
 * kept in full (the thesis's "invalid coins" set aside), see core/refusals.ts.
 * @module
 */
import type { Db } from './open.ts';

/** A refused coin kept in full (its coin and URL possibly shortened). */
export interface RejectedCoinRecord {
  vendorId: string;
  batchId: string;
  epoch: string;
  userId: string;
  coinId: string | null;
  coin: string;
  url: string;
  reason: string;
  createdAt: string;
}

/** SQL for refused coins. */
export function refusalsRepo(db: Db) {
  const q = {
    insertRejected: db.prepare(
      `INSERT INTO rejected_coins (vendor_id, batch_id, epoch, user_id, coin_id, coin, url, reason, created_at)
       VALUES (@vendorId, @batchId, @epoch, @userId, @coinId, @coin, @url, @reason, @createdAt)`,
    ),
    count: db.prepare(
      `INSERT INTO refusal_counts (vendor_id, day, reason, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (vendor_id, day, reason) DO UPDATE SET count = count + excluded.count`,
    ),
    // Keeps the newest `keep` rows of a vendor: ids grow with time, so "newest" is "largest id".
    prune: db.prepare(
      `DELETE FROM rejected_coins WHERE vendor_id = ? AND id <= (
         SELECT id FROM rejected_coins WHERE vendor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
    ),
    total: db.prepare<[string], number>('SELECT coalesce(sum(count), 0) FROM refusal_counts WHERE vendor_id = ?').pluck(),
    byReason: db.prepare<[string], { reason: string; n: number }>(
      'SELECT reason, sum(count) AS n FROM refusal_counts WHERE vendor_id = ? GROUP BY reason ORDER BY n DESC, reason',
    ),
    kept: db.prepare<[string], number>('SELECT count(*) FROM rejected_coins WHERE vendor_id = ?').pluck(),
    recent: db.prepare<[string, number], RejectedCoinRecord>(
      `SELECT vendor_id AS vendorId, batch_id AS batchId, epoch, user_id AS userId, coin_id AS coinId, coin, url, reason,
              created_at AS createdAt FROM rejected_coins WHERE vendor_id = ? ORDER BY id DESC LIMIT ?`,
    ),
  };
  return {
    insertRejected(r: RejectedCoinRecord): void {
      q.insertRejected.run(r);
    },
    /** Adds `n` refusals of `reason` to a vendor's counter for `day` (YYYY-MM-DD). */
    count(vendorId: string, day: string, reason: string, n: number): void {
      q.count.run(vendorId, day, reason, n);
    },
    /** Deletes all but the newest `keep` refused coins kept in full for a vendor. */
    prune(vendorId: string, keep: number): number {
      return q.prune.run(vendorId, vendorId, keep).changes;
    },
    /** Coins ever refused to a vendor. */
    total: (vendorId: string): number => q.total.get(vendorId) ?? 0,
    /** Coins ever refused to a vendor, per reason, most frequent first. */
    byReason: (vendorId: string): { reason: string; count: number }[] =>
      q.byReason.all(vendorId).map((r) => ({ reason: r.reason, count: r.n })),
    /** Refused coins of a vendor kept in full. */
    kept: (vendorId: string): number => q.kept.get(vendorId) ?? 0,
    recent: (vendorId: string, limit = 20): RejectedCoinRecord[] => q.recent.all(vendorId, limit),
  };
}

/** The refusals repository. */
export type RefusalsRepo = ReturnType<typeof refusalsRepo>;
