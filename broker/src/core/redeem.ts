/**
 * MMRedeem, the MicroMint module of the vendor redemption call: vendors hand in the coins they were paid;
 * valid coins are marked spent and paid one mill each. A coin is identified by its epoch and first ball;
 * the first redemption pays, any later one pays nobody and is recorded as a double spend. Invalid coins are
 * set aside with the reason, in bounded storage (refusals.ts). Coins are redeemed only until their epoch's
 * `redeemBy` (timeline.ts). The batch around it (idempotency, the vendor's state, chains) is batch.ts.
 *
 * A batch costs a few statements whatever its size: the coins are judged with the mint database read once
 * (redeem-judge.ts), then settled in request order in memory (a coin twice in one batch is paid once), then
 * written: the first balls marked redeemed, the credited coins, the double spends, each in one statement.
 * @module
 */
import type { RefusalReason } from '@micromint/shared';
import type { CreditedCoin, DoubleSpentCoin } from '../db/redemptions.ts';
import type { RedeemResult } from './batch-answer.ts';
import type { BrokerContext } from './context.ts';
import { judgeCoins, type Verdict } from './redeem-judge.ts';
import type { RedeemEntry } from './redeem-request.ts';
import { refusalLog, type RefusalLog } from './refusals.ts';

/** A batch settled in memory: the answer per coin and what to write. */
interface Settled {
  results: RedeemResult[];
  credited: CreditedCoin[];
  /** Slots of the first balls to mark redeemed, per epoch. */
  spent: Map<string, Set<number>>;
  doubles: DoubleSpentCoin[];
}

/** Step 9 for every coin in request order: the first ball's status decides, as changed by earlier coins. */
function settle(coins: readonly RedeemEntry[], verdicts: readonly Verdict[], refusals: RefusalLog): Settled {
  const out: Settled = { results: [], credited: [], spent: new Map(), doubles: [] };
  const refuse = (e: RedeemEntry, coinId: string, reason: RefusalReason) => {
    refusals.add(e, coinId, reason);
    out.results.push({ coinId, status: 'refused', reason });
  };
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i]!;
    const e = coins[i]!;
    if (!v.ok) {
      refuse(e, v.coinId, v.reason);
      continue;
    }
    // The first balls this batch redeemed already, in this epoch.
    let spent = out.spent.get(v.epoch);
    if (!spent) out.spent.set(v.epoch, (spent = new Set()));
    const status = spent.has(v.slot) ? 'redeemed' : v.status;
    if (status === 'sold') {
      spent.add(v.slot);
      out.credited.push({ epoch: v.epoch, slot: v.slot, userId: e.userId, url: e.url, paidAt: e.paidAt });
      out.results.push({ coinId: v.coinId, status: 'credited' });
    } else if (status === 'redeemed' || status === 'returned') {
      // A double spend: nobody is paid again; who was paid first is kept for follow-up (one record per
      // coin and vendor, counting the attempts, so resending a coin does not grow the table).
      const reason = status === 'redeemed' ? 'already-spent' : 'returned';
      out.doubles.push({ epoch: v.epoch, coinId: v.coinId, slot: v.slot, userId: e.userId, reason });
      refuse(e, v.coinId, reason);
    } else refuse(e, v.coinId, status === 'compromised' ? 'forged' : 'not-sold');
  }
  return out;
}

/**
 * Redeems the coins of batch `batchId` for `vendorId` at `now` (call inside the batch's transaction,
 * core/batch.ts, which checks the vendor and stores the answer): each coin judged, valid ones marked spent
 * and credited one mill, double spends recorded, refusals logged in bounded storage, and one ledger line
 * for the vendor.
 * @example
 * const { results, credited } = await redeemCoins(ctx, vendor.id, req.batchId, req.coins, ctx.now());
 */
export async function redeemCoins(
  ctx: BrokerContext,
  vendorId: string,
  batchId: string,
  coins: readonly RedeemEntry[],
  now: Date,
): Promise<{ results: RedeemResult[]; credited: number }> {
  const { store } = ctx;
  const at = now.toISOString();
  const stamp = { vendorId, batchId, at };
  const refusals = refusalLog(ctx, vendorId, batchId, at);
  // Joins the caller's transaction; alone, it is one: the statuses judged decide what is written.
  return store.transaction(async () => {
    const s = settle(coins, await judgeCoins(ctx, vendorId, coins, now), refusals);
    for (const [epoch, slots] of s.spent) await store.epochs.redeemAll(epoch, [...slots]);
    await store.redemptions.insertRedeemed(stamp, s.credited);
    await store.redemptions.recordDoubleSpends(stamp, s.doubles);
    await refusals.save();
    const credited = s.credited.length;
    if (credited > 0)
      await store.accounts.post('vendor', vendorId, credited, 'redemption', batchId, `Redeemed ${credited} coin(s), batch ${batchId}`, at);
    return { results: s.results, credited };
  });
}
