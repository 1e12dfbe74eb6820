/**
 * PayWord clearing, the chain module of the vendor redemption call (iKP report 4.3). A vendor sends the
 * highest link it holds of each chain, (commitment, j, w_j); the broker checks h^(j - c)(w_j) = w_c from the
 * last index it cleared, c (0 and the root at first), pays (j - c) * value and records j with w_j. An index
 * at or below c pays nothing, so the same link cleared again, in this batch or a later one, is never paid
 * twice; a wrong link (4.3 b) is refused and changes nothing, and the vendor may clear the right one later.
 *
 * Runs inside the batch's transaction (core/batch.ts), which also stores the answer for replay.
 * @module
 */
import { LINK_BYTES, decodeCommitment, fromBase64, verifyLink, type PaywordRefusal } from '@micromint/shared';
import type { ChainRecord } from '../../db/chains.ts';
import type { BrokerContext } from '../context.ts';
import { BrokerError } from '../errors.ts';
import { safeEqualBytes } from '../ids.ts';
import { chainIdOfEntry, commitmentBytesOf, type ClearEntry } from './clear-request.ts';
import { clearingClosed } from './release.ts';

/**
 * Most hash steps the links of one batch may cost to verify (sum of j - c over its chains, about 1 µs
 * each). A vendor can send wrong links again and again (they change nothing), so the work one request can
 * cause is bounded; any one chain fits (a chain has at most 100,000 links), so a batch over the budget can
 * always be split.
 */
export const MAX_BATCH_LINK_HASHES = 200_000;

/** The outcome for one chain, in request order. */
export interface ChainResult {
  chainId: string;
  status: 'cleared' | 'refused';
  reason?: PaywordRefusal;
  /** c after this entry: the highest index cleared so far (0 when the chain is not the vendor's to know). */
  clearedIndex: number;
  /** Links paid now: j - c, or 0. */
  paidUnits: number;
  /** Mills paid now: paidUnits * value. */
  paidMills: number;
}

/** What clearing a batch's chains did. */
export interface ChainClearing {
  results: ChainResult[];
  /** Mills credited to the vendor. */
  paidMills: number;
  /** Entries that paid something. */
  paidChains: number;
}

type Verdict =
  | { ok: false; reason: PaywordRefusal; clearedIndex: number }
  | { ok: true; chain: ChainRecord; salt: Uint8Array; link: Uint8Array | undefined };

/** Steps 1 to 5 for one entry at `now`, without changing anything. `link` is undefined when j <= c. */
async function judge(ctx: BrokerContext, vendorId: string, e: ClearEntry, now: Date): Promise<Verdict> {
  const bytes = commitmentBytesOf(e);
  let salt: Uint8Array;
  try {
    salt = decodeCommitment(bytes!).salt;
  } catch {
    return { ok: false, reason: 'bad-commitment', clearedIndex: 0 };
  }
  const chain = await ctx.store.chains.byId(chainIdOfEntry(e, bytes));
  if (!chain || !safeEqualBytes(chain.commitment, bytes!)) return { ok: false, reason: 'bad-authorization', clearedIndex: 0 };
  if (chain.vendorId !== vendorId) return { ok: false, reason: 'wrong-vendor', clearedIndex: 0 };
  const c = chain.clearedIndex;
  if (chain.status === 'released' || clearingClosed(chain, now)) return { ok: false, reason: 'chain-closed', clearedIndex: c };
  if (e.index < 1 || e.index > chain.links) return { ok: false, reason: 'index-out-of-range', clearedIndex: c };
  if (e.index <= c) return { ok: true, chain, salt, link: undefined };
  let link: Uint8Array | undefined;
  try {
    link = fromBase64(e.link);
  } catch {
    link = undefined;
  }
  if (!link || link.length !== LINK_BYTES) return { ok: false, reason: 'bad-link', clearedIndex: c };
  return { ok: true, chain, salt, link };
}

/**
 * Clears `entries` for `vendorId` (joining the batch's transaction, or in one): steps 1 to 7 of the contract for
 * each entry in order, so the same chain twice in a batch pays only above what the first paid. Credits the
 * vendor one ledger line for the batch. Throws 422 `too_many_links` (and, the transaction being the
 * batch's, nothing is kept) when verifying would cost more than {@link MAX_BATCH_LINK_HASHES} hashes.
 */
export async function clearChains(
  ctx: BrokerContext,
  vendorId: string,
  batchId: string,
  entries: readonly ClearEntry[],
  now: Date,
): Promise<ChainClearing> {
  // The cleared index read decides what is paid: the reads and the writes are one transaction.
  return ctx.store.transaction(() => clearInOrder(ctx, vendorId, batchId, entries, now));
}

async function clearInOrder(
  ctx: BrokerContext,
  vendorId: string,
  batchId: string,
  entries: readonly ClearEntry[],
  now: Date,
): Promise<ChainClearing> {
  const at = now.toISOString();
  const out: ChainClearing = { results: [], paidMills: 0, paidChains: 0 };
  let hashes = 0;
  for (const e of entries) {
    const chainId = chainIdOfEntry(e);
    const v = await judge(ctx, vendorId, e, now);
    if (!v.ok) {
      out.results.push({ chainId, status: 'refused', reason: v.reason, clearedIndex: v.clearedIndex, paidUnits: 0, paidMills: 0 });
      continue;
    }
    const { chain } = v;
    const c = chain.clearedIndex;
    if (!v.link) {
      out.results.push({ chainId, status: 'cleared', clearedIndex: c, paidUnits: 0, paidMills: 0 });
      continue;
    }
    hashes += e.index - c;
    if (hashes > MAX_BATCH_LINK_HASHES)
      throw new BrokerError(
        422,
        'too_many_links',
        `verifying this batch's links takes more than ${MAX_BATCH_LINK_HASHES} hashes: nothing was redeemed or cleared; send its chains in several batches`,
      );
    if (!verifyLink(v.salt, v.link, e.index, { index: c, link: chain.clearedLink })) {
      out.results.push({ chainId, status: 'refused', reason: 'bad-link', clearedIndex: c, paidUnits: 0, paidMills: 0 });
      continue;
    }
    const paidUnits = e.index - c;
    const paidMills = paidUnits * chain.valueMills;
    if (!(await ctx.store.chains.setCleared(chain.id, e.index, v.link))) throw new Error(`chain ${chain.id} changed under its write lock`);
    await ctx.store.chains.insertClearing({
      chainId: chain.id,
      vendorId,
      userId: chain.userId,
      batchId,
      fromIndex: c,
      toIndex: e.index,
      paidMills,
      createdAt: at,
    });
    out.results.push({ chainId, status: 'cleared', clearedIndex: e.index, paidUnits, paidMills });
    out.paidMills += paidMills;
    out.paidChains++;
  }
  if (out.paidMills > 0)
    await ctx.store.accounts.post(
      'vendor',
      vendorId,
      out.paidMills,
      'clearing',
      batchId,
      `Cleared ${out.paidChains} PayWord chain(s), batch ${batchId}`,
      at,
    );
  return out;
}
