/**
 * MMRedeem, the MicroMint module of the vendor redemption call: vendors hand in the coins they were paid;
 * valid coins are marked spent and paid one mill each. A coin is identified by its epoch and first ball;
 * the first redemption pays, any later one pays nobody and is recorded as a double spend. Invalid coins are
 * set aside with the reason, in bounded storage (refusals.ts). Coins are redeemed only until their epoch's
 * `redeemBy` (timeline.ts). The batch around it (idempotency, the vendor's state, chains) is batch.ts.
 * @module
 */
import { BALL_BYTES, coinBytes, coinVerifier, isExpired, type EpochParams, type RefusalReason } from '@micromint/shared';
import type { RedeemResult } from './batch-answer.ts';
import type { BrokerContext } from './context.ts';
import { safeEqualBytes } from './ids.ts';
import { coinBytesOf, coinIdOf, type RedeemEntry } from './redeem-request.ts';
import { refusalLog } from './refusals.ts';
import { epochTimeline, redemptionOpen } from './timeline.ts';

type Verdict =
  | { ok: true; p: EpochParams; coinId: string; superbins: number[]; subbins: number[] }
  | { ok: false; coinId: string; reason: RefusalReason };

type EpochCheck = { p: EpochParams; open: boolean; verify: ReturnType<typeof coinVerifier> };

/** Checks one coin against the mint records at `now`, without changing anything. */
function judge(ctx: BrokerContext, vendorId: string, e: RedeemEntry, epochs: Map<string, EpochCheck | null>, now: Date): Verdict {
  const { store } = ctx;
  const bytes = coinBytesOf(e);
  const coinId = coinIdOf(e, bytes);
  const refuse = (reason: RefusalReason): Verdict => ({ ok: false, coinId, reason });

  let check = epochs.get(e.epoch);
  if (check === undefined) {
    const rec = store.epochs.get(e.epoch);
    check = rec ? { p: rec.params, open: redemptionOpen(epochTimeline(ctx, rec), now), verify: coinVerifier(rec.params, vendorId) } : null;
    epochs.set(e.epoch, check);
  }
  if (!check) return refuse('unknown-epoch');
  // After redeemBy the epoch's returns are open: a coin redeemed now could be a ball already refunded.
  if (!check.open) return refuse('redemption-closed');
  const { p } = check;
  if (!bytes || bytes.length !== coinBytes(p)) return refuse('malformed');
  if (new URL(e.url).origin !== vendorId) return refuse('wrong-vendor');
  if (isExpired(p, Date.parse(e.paidAt))) return refuse('expired');
  // k hashes: fixed bits, the user's superbin steps, this vendor's sub-bin steps, no repeated ball.
  const c = check.verify(bytes, e.userId);
  if (!c.ok) return refuse(c.reason);
  // Exact forgery detection: each ball must be the very ball minted into its slot.
  for (let i = 0; i < p.k; i++) {
    const minted = store.epochs.ballAt(p.id, c.superbins[i]!, c.subbins[i]!);
    const ball = bytes.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES);
    if (!minted || !safeEqualBytes(minted.x, ball) || minted.status === 'compromised') return refuse('forged');
  }
  const owner = store.sets.superbinOwner(p.id, c.superbins[0]!);
  if (!owner || owner.position !== 0 || owner.userId !== e.userId) return refuse('not-sold');
  return { ok: true, p, coinId, superbins: c.superbins, subbins: c.subbins };
}

/**
 * Redeems the coins of batch `batchId` for `vendorId` at `now` (call inside the batch's transaction,
 * core/batch.ts, which checks the vendor and stores the answer): each coin judged, valid ones marked spent
 * and credited one mill, double spends recorded, refusals logged in bounded storage, and one ledger line
 * for the vendor.
 * @example
 * const { results, credited } = redeemCoins(ctx, vendor.id, req.batchId, req.coins, ctx.now());
 */
export function redeemCoins(
  ctx: BrokerContext,
  vendorId: string,
  batchId: string,
  coins: readonly RedeemEntry[],
  now: Date,
): { results: RedeemResult[]; credited: number } {
  const { store } = ctx;
  const at = now.toISOString();
  const epochs = new Map<string, EpochCheck | null>();
  const refusals = refusalLog(ctx, vendorId, batchId, at);
  const results: RedeemResult[] = [];
  let credited = 0;
  const refused = (e: RedeemEntry, coinId: string, reason: RefusalReason): void => {
    refusals.add(e, coinId, reason);
    results.push({ coinId, status: 'refused', reason });
  };
  for (const e of coins) {
    const v = judge(ctx, vendorId, e, epochs, now);
    if (!v.ok) {
      refused(e, v.coinId, v.reason);
      continue;
    }
    const first = store.epochs.ballAt(v.p.id, v.superbins[0]!, v.subbins[0]!)!;
    if (first.status === 'sold') {
      store.epochs.setStatus(v.p.id, v.superbins[0]!, v.subbins[0]!, 'redeemed');
      store.vendors.insertRedeemed({
        epoch: v.p.id,
        coinId: v.coinId,
        userId: e.userId,
        vendorId,
        batchId,
        url: e.url,
        paidAt: e.paidAt,
        redeemedAt: at,
      });
      results.push({ coinId: v.coinId, status: 'credited' });
      credited++;
    } else if (first.status === 'redeemed' || first.status === 'returned') {
      // A double spend: nobody is paid again; who was paid first is kept for follow-up (one record per
      // coin and vendor, counting the attempts, so resending a coin does not grow the table).
      const reason = first.status === 'redeemed' ? 'already-spent' : 'returned';
      store.vendors.recordDoubleSpend({
        epoch: v.p.id,
        coinId: v.coinId,
        userId: e.userId,
        vendorId,
        firstVendorId: store.vendors.redeemedBy(v.p.id, v.coinId) ?? null,
        batchId,
        reason,
        createdAt: at,
      });
      refused(e, v.coinId, reason);
    } else {
      refused(e, v.coinId, first.status === 'compromised' ? 'forged' : 'not-sold');
    }
  }
  refusals.save();
  if (credited > 0)
    store.accounts.post('vendor', vendorId, credited, 'redemption', batchId, `Redeemed ${credited} coin(s), batch ${batchId}`, at);
  return { results, credited };
}
