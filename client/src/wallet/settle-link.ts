/**
 * Applying the vendor's answer to a link payment and its chain, in one transaction. The range was
 * revealed (it left the wallet), so whatever the answer it is never revealed for another request;
 * a refusal only decides whether the same payment goes out again and how far the chain moves.
 *
 * | answer | payment | chain |
 * |---|---|---|
 * | receipt | paid | the vendor knows it: later payments leave the commitment out |
 * | `unknown-chain`, sent without the commitment | pending, rewritten with commitment and authorization (same index, link, MAC): `resend` | commitment sent again until a receipt |
 * | `already-spent` | refused | next index above max(j, `highestIndex`) |
 * | a refusal that ends the chain (its key, broker, vendor, gaps, link, expiry) | refused | closed or expired |
 * | another refusal | refused | unchanged (the range stays used) |
 * | `no_payment_required` / `not_served` | released | unchanged |
 * @module
 */
import { decodePaymentPayload, encodeHeader, formatMoney } from '@micromint/shared';
import { chainById, setChainStatusTx, type ChainRecord, type ChainStatus } from './chains.ts';
import type { WalletDb } from './db.ts';
import { addHistory } from './history.ts';
import type { Outcome, Settled } from './outcome.ts';
import { withCommitment } from './pay-link.ts';
import { rewriteLinkHeader, updatePayment, type PaymentRecord } from './payments.ts';

/** Refusals after which the chain cannot pay this vendor again. */
export const CHAIN_ENDING_REFUSALS: ReadonlyMap<string, ChainStatus> = new Map<string, ChainStatus>([
  ['expired', 'expired'],
  ['bad-commitment', 'closed'],
  ['bad-authorization', 'closed'],
  ['wrong-vendor', 'closed'],
  ['wrong-vendor-key', 'closed'],
  ['wrong-network', 'closed'],
  ['index-out-of-range', 'closed'],
  ['bad-link', 'closed'],
  ['too-many-gaps', 'closed'],
  ['chain-closed', 'closed'],
]);

/** The chain's next index after `already-spent` of the range ending at `index`: above j and above what the vendor holds. */
export function nextAfterSpent(chain: Pick<ChainRecord, 'next' | 'length'>, index: number, highestIndex: number | undefined): number {
  const held =
    highestIndex !== undefined && Number.isSafeInteger(highestIndex) && highestIndex > 0 ? Math.min(highestIndex, chain.length) : 0;
  return Math.min(chain.length + 1, Math.max(chain.next, index + 1, held + 1));
}

const rangeOf = (p: PaymentRecord): string =>
  `links ${p.link!.index - p.link!.units + 1}..${p.link!.index} of chain ${p.link!.chainId.slice(0, 12)}…`;

function refuse(
  db: WalletDb,
  p: PaymentRecord,
  chain: ChainRecord | undefined,
  outcome: Extract<Outcome, { kind: 'refused' }>,
  now: number,
): void {
  updatePayment(db, p.id, {
    state: 'refused',
    spent: p.spent,
    error: outcome.error,
    now,
    ...(outcome.receipt ? { receipt: outcome.receipt } : {}),
  });
  addHistory(db, { at: now, kind: 'refused', mills: 0, detail: `${p.url} refused (${outcome.error}); ${rangeOf(p)} stay used`, ref: p.id });
  const about = outcome.payword?.chainId === undefined || outcome.payword.chainId === p.link!.chainId;
  if (!chain || !about) return;
  if (outcome.error === 'already-spent') {
    const next = nextAfterSpent(chain, p.link!.index, outcome.payword?.highestIndex);
    if (next !== chain.next) {
      const exhausted = next > chain.length && chain.status === 'open';
      db.prepare('UPDATE chains SET next = ?, status = ?, updated_at = ? WHERE id = ?').run(
        next,
        exhausted ? 'exhausted' : chain.status,
        now,
        chain.id,
      );
    }
  }
  const ending = CHAIN_ENDING_REFUSALS.get(outcome.error);
  if (ending) setChainStatusTx(db, chainById(db, chain.id)!, ending, outcome.error, now);
  if (outcome.error === 'unknown-chain') db.prepare('UPDATE chains SET sent_commitment = 0 WHERE id = ?').run(chain.id);
}

/**
 * Settles a pending link payment (inside the caller's transaction).
 * @example
 * settleLinkTx(db, payment, { kind: 'refused', error: 'already-spent', refused: [], payword: { highestIndex: 7 } }, Date.now());
 */
export function settleLinkTx(db: WalletDb, p: PaymentRecord, outcome: Outcome, now: number): Settled {
  if (p.state !== 'pending' || !p.link) return 'unchanged';
  if (outcome.kind === 'pending') return 'pending';
  const chain = chainById(db, p.link.chainId);
  if (outcome.kind === 'paid') {
    updatePayment(db, p.id, {
      state: 'paid',
      spent: p.spent,
      receipt: outcome.receipt,
      now,
      ...(outcome.transaction ? { transaction: outcome.transaction } : {}),
    });
    if (chain && !chain.sentCommitment && p.link.withCommitment)
      db.prepare('UPDATE chains SET sent_commitment = 1 WHERE id = ?').run(chain.id);
    addHistory(db, { at: now, kind: 'paid', mills: 0, detail: `paid ${formatMoney(p.price)} (${rangeOf(p)}) for ${p.url}`, ref: p.id });
    return 'paid';
  }
  if (outcome.kind === 'released') {
    updatePayment(db, p.id, { state: 'released', spent: p.spent, error: outcome.reason, receipt: outcome.receipt, now });
    addHistory(db, {
      at: now,
      kind: 'released',
      mills: 0,
      detail: `${p.url} served free (${outcome.reason}); ${rangeOf(p)} stay used`,
      ref: p.id,
    });
    return 'released';
  }
  if (outcome.error === 'unknown-chain' && !p.link.withCommitment && chain?.authorization) {
    // The vendor lost the chain (a restart, another instance): the same payment once more, with the commitment.
    rewriteLinkHeader(db, p.id, encodeHeader(withCommitment(decodePaymentPayload(p.header), chain)), now);
    db.prepare('UPDATE chains SET sent_commitment = 0 WHERE id = ?').run(chain.id);
    addHistory(db, {
      at: now,
      kind: 'resend',
      mills: 0,
      detail: `${p.url}: the vendor does not know the chain; the same payment goes again with its commitment`,
      ref: p.id,
    });
    return 'resend';
  }
  refuse(db, p, chain, outcome, now);
  return 'refused';
}
