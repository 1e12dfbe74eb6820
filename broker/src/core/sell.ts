/**
 * MMBroker: selling superbin sets. A set is the k superbins sb_1, sb_1 + uh_1, ... (mod 2^u) of the buyer's
 * offsets; it never shares a superbin with a set sold before, and costs one mill per ball of its first
 * superbin (each such ball is at most one coin).
 * @module
 */
import { randomInt } from 'node:crypto';
import { aint, formatMoney, positions, userOffsets, type EpochParams } from '@micromint/shared';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { newWithdrawalId } from './ids.ts';

/** What a purchase bought. */
export interface Purchase {
  withdrawalId: string;
  epoch: string;
  sets: number;
  coins: number;
  priceMills: number;
}

/**
 * Finds a first superbin whose whole set for these offsets is unsold and whose first superbin holds a ball,
 * scanning from a random start; undefined when no such set is left. `ballsIn` counts a superbin's balls
 * (a store read: call inside the purchase's transaction).
 */
export async function pickSet(
  p: EpochParams,
  offsets: readonly number[],
  sold: ReadonlySet<number>,
  ballsIn: (superbin: number) => number | Promise<number>,
): Promise<{ superbins: number[]; balls: number } | undefined> {
  const bins = 2 ** p.u;
  const start = randomInt(bins);
  for (let j = 0; j < bins; j++) {
    const superbins = positions((start + j) % bins, offsets, p.u);
    if (superbins.some((sb) => sold.has(sb))) continue;
    const balls = await ballsIn(superbins[0]!);
    if (balls > 0) return { superbins, balls };
  }
  return undefined;
}

/**
 * Sells `count` sets of the current epoch to `userId` in one transaction: checks the balance, picks
 * non-overlapping sets, marks their balls sold, debits the ledger and records the withdrawal.
 * All or nothing: a purchase the balance cannot cover sells nothing.
 * @example
 * const purchase = await buySets(ctx, user.id, 2);
 * const text = await fundsWithdrawnText(ctx, purchase.withdrawalId);
 */
export async function buySets(ctx: BrokerContext, userId: string, count: number): Promise<Purchase> {
  aint(count, 1, ctx.maxSetsPerPurchase, 'count');
  const { store } = ctx;
  return store.transaction(async () => {
    const now = ctx.now();
    const at = now.toISOString();
    const epoch = await store.epochs.current(now);
    if (!epoch) throw new BrokerError(404, 'no_epoch', 'no epoch is on sale right now');
    const p = epoch.params;
    if (!(await store.accounts.userById(userId))) throw new BrokerError(404, 'unknown_user', 'no such user');
    const balance = await store.accounts.balance('user', userId);
    const sold = await store.sets.soldSuperbins(p.id);
    const offsets = userOffsets(p, userId);
    const withdrawalId = newWithdrawalId();
    await store.sets.insertWithdrawal(withdrawalId, userId, p.id, at);
    let price = 0;
    for (let n = 0; n < count; n++) {
      const pick = await pickSet(p, offsets, sold, (sb) => store.epochs.countIn(p.id, sb));
      if (!pick) throw new BrokerError(409, 'sold_out', `only ${n} more set(s) of epoch ${p.id} can be sold to you`);
      if (price + pick.balls > balance)
        throw new BrokerError(409, 'insufficient_funds', `${count} set(s) cost more than your balance of ${formatMoney(balance)}`);
      for (const sb of pick.superbins) {
        sold.add(sb);
        await store.epochs.sellSuperbin(p.id, sb);
      }
      await store.sets.insertSet({
        withdrawalId,
        userId,
        epoch: p.id,
        firstSuperbin: pick.superbins[0]!,
        superbins: pick.superbins,
        coins: pick.balls,
        priceMills: pick.balls,
        createdAt: at,
      });
      price += pick.balls;
    }
    await store.sets.finishWithdrawal(withdrawalId, price, price);
    await store.accounts.post('user', userId, -price, 'purchase', withdrawalId, `Bought ${count} superbin set(s): ${price} coins`, at);
    return { withdrawalId, epoch: p.id, sets: count, coins: price, priceMills: price };
  });
}
