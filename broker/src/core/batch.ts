/**
 * A vendor's redemption batch (`POST /api/redeem`): "MicroMint redemption and PayWord clearing are two
 * modules behind one vendor API". This is what they share: one transaction for the whole batch, the
 * stored answer replayed for the same batchId (a retry after a lost response pays nothing twice), the
 * vendor's state (a disabled vendor's new batch is refused), bounded storage of batches that paid nothing,
 * and the complaint review after a batch that paid. The coins go to redeem.ts, the chains to
 * payword/clear.ts.
 * @module
 */
import type { VendorRecord } from '../db/vendors.ts';
import { decodeAnswer, encodeAnswer, type RedeemAnswer } from './batch-answer.ts';
import { reviewComplaints } from './complaints.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { safeEqualBytes, sha256 } from './ids.ts';
import { clearChains } from './payword/clear.ts';
import { redeemCoins } from './redeem.ts';
import type { RedeemRequest } from './redeem-request.ts';
import { vendorDisabledError } from './vendors.ts';

/**
 * Stored answers of batches that paid nothing, kept per vendor (the newest). An older one sent again is
 * judged afresh: it paid nothing, and a coin is paid at most once and a chain only above what was cleared
 * whatever is judged, so nothing can be paid twice; it only bounds what junk batches can store.
 */
export const KEPT_REFUSED_BATCHES = 100;

/**
 * The digest that tells a retry from another batch under the same id. A batch without chains hashes as
 * batches did before chains existed, so their stored answers are still replayed.
 */
export function batchDigest(req: RedeemRequest): Uint8Array {
  const coins = req.coins.map((c) => [c.epoch, c.userId, c.coin, c.url, c.paidAt]);
  const chains = req.chains.map((c) => [c.commitment, c.index, c.link]);
  // Hashing the UTF-8 bytes is the same digest as hashing the string, and about twice as fast in Node.
  return sha256(Buffer.from(JSON.stringify(chains.length ? [req.batchId, coins, chains] : [req.batchId, coins])));
}

/**
 * Redeems a batch's coins and clears its chains for `vendor` in one transaction and stores the answer; the
 * same batchId with the same entries returns the stored answer (a retry after a lost response, also once
 * the vendor is disabled), with different entries it is a 409 `batch_mismatch`. A disabled vendor's new
 * batches are a 403 `vendor_disabled` that says why and what to do. The clock is read inside the write lock.
 * @example
 * const answer = await redeemBatch(ctx, vendor, readRedeemRequest(req.body));
 * answer.results[0]; // { coinId: '…', status: 'credited' }
 * answer.chains[0]; // { chainId: '…', status: 'cleared', clearedIndex: 5, paidUnits: 5, paidMills: 5 }
 */
export async function redeemBatch(ctx: BrokerContext, vendor: VendorRecord, req: RedeemRequest): Promise<RedeemAnswer> {
  const { store } = ctx;
  const digest = batchDigest(req);
  return store.transaction(async () => {
    const current = await store.vendors.byId(vendor.id);
    if (!current) throw new BrokerError(401, 'unauthorized', 'unknown vendor');
    const prior = await store.vendors.batch(vendor.id, req.batchId);
    // A retry is answered even for a vendor disabled since: it changes nothing, and without it the vendor
    // could never learn which entries of a batch whose response it lost were paid.
    if (prior && safeEqualBytes(prior.requestDigest, digest)) return decodeAnswer(prior.answer, req);
    if (current.disabled) throw vendorDisabledError(ctx, current);
    if (prior) throw new BrokerError(409, 'batch_mismatch', `batch ${req.batchId} was redeemed before with other coins or chains`);
    const now = ctx.now();
    const at = now.toISOString();
    const coins = await redeemCoins(ctx, vendor.id, req.batchId, req.coins, now);
    const chains = await clearChains(ctx, vendor.id, req.batchId, req.chains, now);
    const answer: RedeemAnswer = {
      batchId: req.batchId,
      credited: coins.credited,
      creditedMills: coins.credited,
      results: coins.results,
      chains: chains.results,
    };
    const paid = coins.credited + chains.paidChains;
    const refused = coins.results.length - coins.credited + chains.results.filter((r) => r.status === 'refused').length;
    await store.vendors.insertBatch(vendor.id, req.batchId, digest, encodeAnswer(answer), paid, refused, at);
    if (paid === 0) await store.vendors.pruneRefusedBatches(vendor.id, KEPT_REFUSED_BATCHES);
    // New customers of this vendor may turn earlier complaints into enough to disable it.
    if (paid > 0) await reviewComplaints(ctx, vendor.id, at);
    return answer;
  });
}
