/**
 * Public figures for the home page and `/api/stats`.
 * @module
 */
import type { EpochRecord } from '../db/epochs.ts';
import type { BrokerContext } from './context.ts';
import { epochTimeline, type EpochTimeline } from './timeline.ts';

/** Public statistics. */
export interface PublicStats {
  epoch: EpochRecord | undefined;
  /** The current epoch's expiry, redemption deadline and returns opening. */
  timeline: EpochTimeline | undefined;
  ballsMinted: number;
  setsSold: number;
  coinsRedeemed: number;
  doubleSpends: number;
}

/** Figures of the current epoch and of all redemptions. */
export async function publicStats(ctx: BrokerContext): Promise<PublicStats> {
  const { store } = ctx;
  const epoch = await store.epochs.current(ctx.now());
  const [timeline, setsSold, coinsRedeemed, doubleSpends] = await Promise.all([
    epoch && epochTimeline(ctx, epoch),
    epoch ? store.sets.countSetsInEpoch(epoch.params.id) : 0,
    store.vendors.totalRedeemed(),
    store.vendors.totalDoubleSpends(),
  ]);
  return { epoch, timeline, ballsMinted: epoch?.filledSlots ?? 0, setsSold, coinsRedeemed, doubleSpends };
}
