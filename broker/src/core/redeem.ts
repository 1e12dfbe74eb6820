/**
 * MMRedeem: vendors hand in the coins they were paid; valid coins are marked spent and paid one mill each.
 * A coin is identified by its epoch and first ball; the first redemption pays, any later one pays nobody
 * and is recorded as a double spend. Invalid coins are set aside with the reason, in bounded storage
 * (refusals.ts). Coins are redeemed only until their epoch's `redeemBy` (timeline.ts).
 * @module
 */
import { BALL_BYTES, coinBytes, coinVerifier, isExpired, type EpochParams, type RefusalReason } from '@micromint/shared';
import type { VendorRecord } from '../db/vendors.ts';
import { decodeAnswer, encodeAnswer, type RedeemAnswer, type RedeemResult } from './batch-answer.ts';
import { reviewComplaints } from './complaints.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { safeEqualBytes, sha256 } from './ids.ts';
import { coinBytesOf, coinIdOf, type RedeemEntry, type RedeemRequest } from './redeem-request.ts';
import { refusalLog } from './refusals.ts';
import { epochTimeline, redemptionOpen } from './timeline.ts';
import { vendorDisabledError } from './vendors.ts';

export { MAX_BATCH_COINS, readRedeemRequest, type RedeemEntry, type RedeemRequest } from './redeem-request.ts';
export type { RedeemAnswer, RedeemResult } from './batch-answer.ts';

/**
 * Stored answers of batches that credited nothing, kept per vendor (the newest). An older one sent again is
 * judged afresh: it paid nothing, and a coin is paid at most once whatever is judged, so nothing can be paid
 * twice; it only bounds what junk batches can store.
 */
export const KEPT_REFUSED_BATCHES = 100;

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
 * Redeems a batch for `vendor` in one transaction and stores the answer; the same batchId with the same
 * coins returns the stored answer (a retry after a lost response, also once the vendor is disabled), with
 * different coins it is a 409. A disabled vendor's new batches are a 403 `vendor_disabled` that says why
 * and what to do. The clock is read inside the write lock (see timeline.ts).
 * @example
 * const answer = redeemBatch(ctx, vendor, readRedeemRequest(req.body));
 * answer.results[0]; // { coinId: '…', status: 'credited' }
 */
export function redeemBatch(ctx: BrokerContext, vendor: VendorRecord, req: RedeemRequest): RedeemAnswer {
  const { store } = ctx;
  const digest = sha256(JSON.stringify([req.batchId, req.coins.map((c) => [c.epoch, c.userId, c.coin, c.url, c.paidAt])]));
  return store.transaction(() => {
    const current = store.vendors.byId(vendor.id);
    if (!current) throw new BrokerError(401, 'unauthorized', 'unknown vendor');
    const prior = store.vendors.batch(vendor.id, req.batchId);
    // A retry is answered even for a vendor disabled since: it changes nothing, and without it the vendor
    // could never learn which coins of a batch whose response it lost were credited.
    if (prior && safeEqualBytes(prior.requestDigest, digest)) return decodeAnswer(prior.answer, req);
    if (current.disabled) throw vendorDisabledError(ctx, current);
    if (prior) throw new BrokerError(409, 'batch_mismatch', `batch ${req.batchId} was redeemed before with other coins`);
    const now = ctx.now();
    const at = now.toISOString();
    const epochs = new Map<string, EpochCheck | null>();
    const refusals = refusalLog(ctx, vendor.id, req.batchId, at);
    const results: RedeemResult[] = [];
    let credited = 0;
    const refused = (e: RedeemEntry, coinId: string, reason: RefusalReason): void => {
      refusals.add(e, coinId, reason);
      results.push({ coinId, status: 'refused', reason });
    };
    for (const e of req.coins) {
      const v = judge(ctx, vendor.id, e, epochs, now);
      if (!v.ok) {
        refused(e, v.coinId, v.reason);
        continue;
      }
      const first = store.epochs.ballAt(v.p.id, v.superbins[0]!, v.subbins[0]!)!;
      if (first.status === 'sold') {
        store.epochs.setStatus(v.p.id, v.superbins[0]!, v.subbins[0]!, 'redeemed');
        store.vendors.insertRedeemed({
          epoch: v.p.id, coinId: v.coinId, userId: e.userId, vendorId: vendor.id, batchId: req.batchId,
          url: e.url, paidAt: e.paidAt, redeemedAt: at,
        });
        results.push({ coinId: v.coinId, status: 'credited' });
        credited++;
      } else if (first.status === 'redeemed' || first.status === 'returned') {
        // A double spend: nobody is paid again; who was paid first is kept for follow-up (one record per
        // coin and vendor, counting the attempts, so resending a coin does not grow the table).
        const reason = first.status === 'redeemed' ? 'already-spent' : 'returned';
        store.vendors.recordDoubleSpend({
          epoch: v.p.id, coinId: v.coinId, userId: e.userId, vendorId: vendor.id,
          firstVendorId: store.vendors.redeemedBy(v.p.id, v.coinId) ?? null, batchId: req.batchId, reason, createdAt: at,
        });
        refused(e, v.coinId, reason);
      } else {
        refused(e, v.coinId, first.status === 'compromised' ? 'forged' : 'not-sold');
      }
    }
    refusals.save();
    if (credited > 0)
      store.accounts.post('vendor', vendor.id, credited, 'redemption', req.batchId, `Redeemed ${credited} coin(s), batch ${req.batchId}`, at);
    const answer: RedeemAnswer = { batchId: req.batchId, credited, creditedMills: credited, results };
    store.vendors.insertBatch(vendor.id, req.batchId, digest, encodeAnswer(answer), credited, results.length - credited, at);
    if (credited === 0) store.vendors.pruneRefusedBatches(vendor.id, KEPT_REFUSED_BATCHES);
    // New customers of this vendor may turn earlier complaints into enough to disable it.
    if (credited > 0) reviewComplaints(ctx, vendor.id, at);
    return answer;
  });
}
