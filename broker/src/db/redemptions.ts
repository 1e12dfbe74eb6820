/**
 * The writes of a redemption batch, a statement each for the whole batch (a JSON list of its coins):
 * the redeemed coins (the batch once, coins per user and per page, a small row per coin keyed by its first
 * ball's slot), who was paid first for the coins spent again, and their double-spend records. The tables
 * are migration 7's; db/vendors.ts, earnings.ts and complaints.ts read them.
 * @module
 */
import type { Db } from './open.ts';
import { SLOT_KEY_FILE, paidAtValue } from './redeemed-convert.ts';

/** A coin credited in a batch. */
export interface CreditedCoin {
  epoch: string;
  /** Its first ball's slot (superbin * 2^v + sub-bin): the coin's identity in its epoch. */
  slot: number;
  userId: string;
  url: string;
  paidAt: string;
}

/** A coin of a batch whose first ball was redeemed or returned before. */
export interface DoubleSpentCoin {
  epoch: string;
  coinId: string;
  /** Its first ball's slot. */
  slot: number;
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

/** The slot key of a slot, `m` being the epoch's row of `mint_files` (joined: no row when it has none). */
const KEY = `m.no * ${SLOT_KEY_FILE} + `;

/** How many of each key. */
function tally(keys: Iterable<string>): Map<string, number> {
  const n = new Map<string, number>();
  for (const k of keys) n.set(k, (n.get(k) ?? 0) + 1);
  return n;
}

/** Items grouped by epoch, in order. */
function byEpoch<T extends { epoch: string }>(items: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const c of items) {
    const g = groups.get(c.epoch);
    if (g) g.push(c);
    else groups.set(c.epoch, [c]);
  }
  return groups;
}

/** SQL for a batch's redeemed coins and double spends (tables of migration 7). */
export function redemptionsRepo(db: Db) {
  const q = {
    insertBatch: db
      .prepare<[string, string, number, string], number>(
        'INSERT INTO redeemed_batches (vendor_id, batch_id, coins, redeemed_at) VALUES (?, ?, ?, ?) RETURNING id',
      )
      .pluck(),
    insertPayers: db.prepare('INSERT INTO redeemed_payers (batch, user_id, coins) SELECT ?, value ->> 0, value ->> 1 FROM jsonb_each(?)'),
    upsertPages: db.prepare<[{ vendorId: string; at: string; pages: string }], { id: number; url: string }>(
      `INSERT INTO redeemed_pages (vendor_id, url, coins, last_redeemed_at)
       SELECT @vendorId, value ->> 0, value ->> 1, @at FROM jsonb_each(@pages) WHERE true
       ON CONFLICT (vendor_id, url) DO UPDATE SET coins = coins + excluded.coins,
         last_redeemed_at = max(last_redeemed_at, excluded.last_redeemed_at)
       RETURNING id, url`,
    ),
    insertCoins: db.prepare(
      `INSERT INTO redeemed (slot_key, batch, page, paid_at)
       SELECT ${KEY}(value ->> 0), @batch, value ->> 1, value ->> 2 FROM mint_files m, jsonb_each(@coins) WHERE m.epoch = @epoch`,
    ),
    redeemedBy: db.prepare<[{ epoch: string; slots: string }], { slot: number; vendor_id: string }>(
      `SELECT j.value AS slot, b.vendor_id FROM mint_files m, jsonb_each(@slots) j
       JOIN redeemed r ON r.slot_key = ${KEY}j.value JOIN redeemed_batches b ON b.id = r.batch WHERE m.epoch = @epoch`,
    ),
    recordDoubleSpends: db.prepare(
      `INSERT INTO double_spends (epoch, coin_id, user_id, vendor_id, first_vendor_id, batch_id, reason, created_at, attempts, last_batch_id, last_at)
       SELECT value ->> 0, value ->> 1, value ->> 2, @vendorId, value ->> 3, @batchId, value ->> 4, @at, 1, @batchId, @at
         FROM jsonb_each(@coins) WHERE true
       ON CONFLICT (epoch, coin_id, vendor_id) DO UPDATE SET attempts = attempts + 1, last_batch_id = excluded.batch_id, last_at = excluded.created_at`,
    ),
  };
  return {
    /**
     * Records the coins a batch credited: the batch once, its coins per user and per page, and one row per
     * coin, a statement each. Throws (and the batch's transaction rolls back) when a coin was recorded
     * before or its epoch has no mint file.
     */
    insertRedeemed(s: BatchStamp, coins: readonly CreditedCoin[]): void {
      if (coins.length === 0) return;
      const batch = q.insertBatch.get(s.vendorId, s.batchId, coins.length, s.at)!;
      q.insertPayers.run(batch, JSON.stringify([...tally(coins.map((c) => c.userId))]));
      const pages = JSON.stringify([...tally(coins.map((c) => c.url))]);
      const pageIds = new Map(q.upsertPages.all({ vendorId: s.vendorId, at: s.at, pages }).map((r) => [r.url, r.id]));
      // The coins of one payment share their paidAt: each distinct one is converted once.
      const paid = new Map<string, number | string>();
      const paidValue = (t: string) => paid.get(t) ?? paid.set(t, paidAtValue(t)).get(t);
      for (const [epoch, group] of byEpoch(coins)) {
        const rows = JSON.stringify(group.map((c) => [c.slot, pageIds.get(c.url), paidValue(c.paidAt)]));
        if (q.insertCoins.run({ epoch, batch, coins: rows }).changes !== group.length)
          throw new RangeError(`epoch ${epoch} has no mint file: its coins cannot be recorded`);
      }
    },
    /**
     * Records double spends in request order, in one statement: one record per (epoch, coin, vendor) with
     * its attempts counted, each naming the vendor the coin was redeemed for first (null if none).
     */
    recordDoubleSpends(s: BatchStamp, coins: readonly DoubleSpentCoin[]): void {
      if (coins.length === 0) return;
      const firsts = new Map<string, string>();
      for (const [epoch, group] of byEpoch(coins))
        for (const r of q.redeemedBy.all({ epoch, slots: JSON.stringify(group.map((c) => c.slot)) }))
          firsts.set(`${epoch}\n${r.slot}`, r.vendor_id);
      const rows = coins.map((c) => [c.epoch, c.coinId, c.userId, firsts.get(`${c.epoch}\n${c.slot}`) ?? null, c.reason]);
      q.recordDoubleSpends.run({ ...s, coins: JSON.stringify(rows) });
    },
  };
}

/** The batch redemption repository. */
export type RedemptionsRepo = ReturnType<typeof redemptionsRepo>;
