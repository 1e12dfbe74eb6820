/**
 * Recording the coins a redemption refuses, in bounded storage.
 *
 * Anyone can register a vendor and send 10,000 junk coins per call; stored one row each, three calls grew
 * the database by 21 MB. So every refusal is counted (per vendor, day and reason: a few rows a day, whatever
 * the volume), and only the first {@link KEPT_PER_BATCH} of a batch are kept in full, with their coin and
 * URL cut to {@link STORED_COIN_CHARS} / {@link STORED_URL_CHARS} characters; a vendor keeps its newest
 * {@link KEPT_PER_VENDOR}, older ones are deleted. A real coin's double spend is not a refusal of this kind:
 * it is recorded apart (one row per coin and vendor, see db/vendors.ts) for follow-up.
 * @module
 */
import type { RefusalReason } from '@micromint/shared';
import type { RejectedCoinRecord } from '../db/refusals.ts';
import type { BrokerContext } from './context.ts';
import type { RedeemEntry } from './redeem-request.ts';

/** Refused coins of one batch kept in full. */
export const KEPT_PER_BATCH = 100;
/** Refused coins of one vendor kept in full (the newest). */
export const KEPT_PER_VENDOR = 1000;
/** Characters of a refused coin's base64 kept (a coin of k = 8 balls is 172). */
export const STORED_COIN_CHARS = 256;
/** Characters of a refused coin's URL kept. */
export const STORED_URL_CHARS = 512;

/**
 * Collects a batch's refusals in memory; {@link RefusalLog.save} writes them (await it inside the batch's
 * transaction).
 */
export interface RefusalLog {
  add(e: RedeemEntry, coinId: string, reason: RefusalReason): void;
  save(): Promise<void>;
}

/**
 * A log of the refusals of one batch of `vendorId`, stamped `at` (ISO 8601).
 * @example
 * const log = refusalLog(ctx, vendor.id, req.batchId, at);
 * log.add(entry, coinId, 'forged');
 * await log.save();
 */
export function refusalLog(ctx: BrokerContext, vendorId: string, batchId: string, at: string): RefusalLog {
  const { refusals } = ctx.store;
  const counts = new Map<RefusalReason, number>();
  const kept: RejectedCoinRecord[] = [];
  return {
    add(e, coinId, reason) {
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      if (kept.length >= KEPT_PER_BATCH) return;
      kept.push({
        vendorId,
        batchId,
        epoch: e.epoch,
        userId: e.userId,
        coinId: coinId || null,
        coin: e.coin.slice(0, STORED_COIN_CHARS),
        url: e.url.slice(0, STORED_URL_CHARS),
        reason,
        createdAt: at,
      });
    },
    async save() {
      for (const r of kept) await refusals.insertRejected(r);
      for (const [reason, n] of counts) await refusals.count(vendorId, at.slice(0, 10), reason, n);
      if (kept.length > 0) await refusals.prune(vendorId, KEPT_PER_VENDOR);
    },
  };
}
