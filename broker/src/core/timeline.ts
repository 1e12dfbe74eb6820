/**
 * An epoch's timeline: wallets spend its coins until `expiresAt`; vendors redeem the coins they were paid
 * until `redeemBy` = expiresAt + the broker's redemption grace; Request-Credit returns are taken from
 * `returnsFrom` = redeemBy on.
 *
 * Why returns wait: the broker keys a coin on its first ball, and a wallet could pay a page with a ball and
 * at once return the same ball for credit. If the return came first, the vendor's coin would be refused as
 * `returned` and the vendor would lose what it served. With the two periods disjoint (redemption while
 * now < redeemBy, returns while now >= returnsFrom), a coin paid before expiry and redeemed by redeemBy is
 * always paid to the vendor, and a return can only take balls no vendor redeemed in time. The ball status
 * (sold -> redeemed | returned) still guarantees that no ball is ever paid twice, whatever the clocks do.
 * @module
 */
import type { EpochParams } from '@micromint/shared';
import type { EpochRecord } from '../db/epochs.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';

/** The three moments of an epoch (ISO 8601). */
export interface EpochTimeline {
  expiresAt: string;
  redeemBy: string;
  returnsFrom: string;
}

/**
 * The timeline of an epoch. Its `redeemBy` is pinned in the database the first time it is asked for (at
 * the latest when the epoch is first published or used), so a broker restarted with a shorter
 * `redeemGraceSeconds` cannot shorten the time vendors were told they have.
 * @example
 * const t = await epochTimeline(ctx, (await store.epochs.get('2026-11'))!); // { expiresAt, redeemBy, returnsFrom }
 */
export async function epochTimeline(ctx: BrokerContext, epoch: EpochRecord): Promise<EpochTimeline> {
  const { expiresAt } = epoch.params;
  let redeemBy = epoch.redeemBy;
  if (redeemBy === null) {
    const due = new Date(Date.parse(expiresAt) + ctx.redeemGraceSeconds * 1000).toISOString();
    // Pinned in a transaction (joined when the caller is in one): the first pin wins, every process reads it.
    const { id } = epoch.params;
    redeemBy = await ctx.store.transaction(() => ctx.store.epochs.pinRedeemBy(id, due));
    epoch.redeemBy = redeemBy;
  }
  return { expiresAt, redeemBy, returnsFrom: redeemBy };
}

/** The epoch's parameters as the broker publishes them (`GET /api/epochs/...`): with redeemBy and returnsFrom. */
export async function publishedParams(ctx: BrokerContext, epoch: EpochRecord): Promise<EpochParams> {
  const t = await epochTimeline(ctx, epoch);
  return { ...epoch.params, redeemBy: t.redeemBy, returnsFrom: t.returnsFrom };
}

/** True while vendors may redeem the epoch's coins. */
export const redemptionOpen = (t: EpochTimeline, now: Date): boolean => now.getTime() < Date.parse(t.redeemBy);

/** True once the epoch's unspent balls may be returned for credit. */
export const returnsOpen = (t: EpochTimeline, now: Date): boolean => now.getTime() >= Date.parse(t.returnsFrom);

/** Throws the 409 `returns_not_open` (with `returnsFrom`) unless returns of the epoch are open at `now`. */
export function assertReturnsOpen(t: EpochTimeline, epochId: string, now: Date): void {
  if (returnsOpen(t, now)) return;
  throw new BrokerError(
    409,
    'returns_not_open',
    `returns of epoch ${epochId} open at ${t.returnsFrom}, when its redemption period ends: until then vendors may still redeem the coins they were paid. Nothing was returned; send the balls again then.`,
    { returnsFrom: t.returnsFrom },
  );
}

/** When a user may return the unspent coins of one epoch they bought sets in. */
export interface ReturnWindow {
  epoch: string;
  returnsFrom: string;
  open: boolean;
}

/** The return windows of every epoch `userId` bought sets in, newest purchase first. */
export async function returnWindows(ctx: BrokerContext, userId: string): Promise<ReturnWindow[]> {
  const now = ctx.now();
  const epochs = [...new Set((await ctx.store.sets.withdrawalsOfUser(userId, 1000)).map((w) => w.epoch))];
  const out: ReturnWindow[] = [];
  for (const id of epochs) {
    const rec = await ctx.store.epochs.get(id);
    if (!rec) continue;
    const t = await epochTimeline(ctx, rec);
    out.push({ epoch: id, returnsFrom: t.returnsFrom, open: returnsOpen(t, now) });
  }
  return out;
}
