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
export function publicStats(ctx: BrokerContext): PublicStats {
  const { store } = ctx;
  const epoch = store.epochs.current(ctx.now());
  return {
    epoch,
    timeline: epoch && epochTimeline(ctx, epoch),
    ballsMinted: epoch?.filledSlots ?? 0,
    setsSold: epoch ? store.sets.countSetsInEpoch(epoch.params.id) : 0,
    coinsRedeemed: store.vendors.totalRedeemed(),
    doubleSpends: store.vendors.totalDoubleSpends(),
  };
}
