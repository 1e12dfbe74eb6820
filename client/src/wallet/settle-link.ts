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
import { chainAfterRefusal, decodePaymentPayload, encodeHeader, formatMoney, linkRangeText, withCommitment } from '@micromint/shared';
import { chainById, setChainStatusTx, type ChainRecord } from './chains.ts';
import type { WalletDb } from './db.ts';
import { addHistory } from './history.ts';
import type { Outcome, Settled } from './outcome.ts';
import { rewriteLinkHeader, updatePayment, type PaymentRecord } from './payments.ts';

const rangeOf = (p: PaymentRecord): string => linkRangeText(p.link!);

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
  const refusal = { error: outcome.error, chainId: outcome.payword?.chainId, highestIndex: outcome.payword?.highestIndex };
  const change = chain && chainAfterRefusal(chain, p.link!, refusal);
  if (!chain || !change) return;
  // `already-spent` moves the next index (and may exhaust the chain); an ending refusal closes it, with a history entry.
  if (change.next !== undefined)
    db.prepare('UPDATE chains SET next = ?, status = ?, updated_at = ? WHERE id = ?').run(
      change.next,
      change.status ?? chain.status,
      now,
      chain.id,
    );
  else if (change.status) setChainStatusTx(db, chain, change.status, change.error, now);
  if (change.sentCommitment === false) db.prepare('UPDATE chains SET sent_commitment = 0 WHERE id = ?').run(chain.id);
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
