/**
 * The writes of a redemption batch, a statement each for the whole batch (a JSON list of its coins):
 * the redeemed coins, who was paid first for the coins spent again, and their double-spend records.
 * The records are those of db/vendors.ts, which reads them.
 * @module
 */
import type { Db } from './open.ts';

/** A coin credited in a batch. */
export interface CreditedCoin {
  epoch: string;
  coinId: string;
  userId: string;
  url: string;
  paidAt: string;
}

/** A coin of a batch whose first ball was redeemed or returned before. */
export interface DoubleSpentCoin {
  epoch: string;
  coinId: string;
  userId: string;
  reason: 'already-spent' | 'returned';
}

/** What every row of one batch shares. */
export interface BatchStamp {
  vendorId: string;
  batchId: string;
  /** ISO 8601. */
  at: string;
}

/** SQL for a batch's redeemed coins and double spends. */
export function redemptionsRepo(db: Db) {
  const q = {
    insertRedeemed: db.prepare(
      `INSERT INTO redeemed_coins (epoch, coin_id, user_id, vendor_id, batch_id, url, paid_at, redeemed_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, @vendorId, @batchId, value ->> 3, value ->> 4, @at FROM jsonb_each(@coins)`,
    ),
    redeemedBy: db.prepare<[string], { epoch: string; coin_id: string; vendor_id: string }>(
      `SELECT r.epoch, r.coin_id, r.vendor_id FROM jsonb_each(?) j
       JOIN redeemed_coins r ON r.epoch = j.value ->> 0 AND r.coin_id = j.value ->> 1`,
    ),
    recordDoubleSpends: db.prepare(
      `INSERT INTO double_spends (epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at, attempts, last_batch_id, last_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, @vendorId, value ->> 3, @batchId, value ->> 4, @at, 1, @batchId, @at
         FROM jsonb_each(@coins) WHERE true
       ON CONFLICT (epoch, coin_id, vendor_id) DO UPDATE SET attempts = attempts + 1, last_batch_id = excluded.batch_id, last_at = excluded.created_at`,
    ),
  };
  const key = (epoch: string, coinId: string) => `${epoch}\n${coinId}`;
  return {
    /** Records the coins a batch credited, in one statement. */
    insertRedeemed(s: BatchStamp, coins: readonly CreditedCoin[]): void {
      if (coins.length === 0) return;
      q.insertRedeemed.run({ ...s, coins: JSON.stringify(coins.map((c) => [c.epoch, c.coinId, c.userId, c.url, c.paidAt])) });
    },
    /**
     * Records double spends in request order, in one statement: one record per (epoch, coin, vendor) with
     * its attempts counted, each naming the vendor the coin was redeemed for first (null if none).
     */
    recordDoubleSpends(s: BatchStamp, coins: readonly DoubleSpentCoin[]): void {
      if (coins.length === 0) return;
      const firsts = new Map(
        q.redeemedBy.all(JSON.stringify(coins.map((c) => [c.epoch, c.coinId]))).map((r) => [key(r.epoch, r.coin_id), r.vendor_id]),
      );
      const rows = coins.map((c) => [c.epoch, c.coinId, c.userId, firsts.get(key(c.epoch, c.coinId)) ?? null, c.reason]);
      q.recordDoubleSpends.run({ ...s, coins: JSON.stringify(rows) });
    },
  };
}

/** The batch redemption repository. */
export type RedemptionsRepo = ReturnType<typeof redemptionsRepo>;
