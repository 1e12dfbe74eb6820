/**
 * Applying the vendor's answer to a coin payment, in one transaction: paid; refused (its coins
 * unspent again, except those the vendor refused as already spent, which stay spent and are never
 * offered again); released (the coins it names unspent again, the others stay spent).
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { WalletDb } from './db.ts';
import { addHistory } from './history.ts';
import type { Outcome, Settled } from './outcome.ts';
import { updatePayment, type PaymentRecord } from './payments.ts';

/** The reason a payment no vendor ever saw is settled with (let go, its coins back). */
export const NEVER_SENT = 'never_sent';
/** Reasons after which a coin must never be offered again: a vendor (or someone before it) has seen it. */
export const KEEP_SPENT_REASONS: ReadonlySet<string> = new Set(['already-spent']);

/** Puts the payment's coins back to unspent where `verdict` says so; returns how many came back. */
function release(db: WalletDb, p: PaymentRecord, verdict: (coinId: string) => 'release' | 'keep' | 'flag'): number {
  const back = db.prepare(`UPDATE balls SET state = 'unspent', payment_id = NULL WHERE epoch = ? AND x = ? AND payment_id = ?`);
  const flag = db.prepare(`UPDATE balls SET flag = 'double-spend' WHERE epoch = ? AND x = ? AND payment_id = ?`);
  let released = 0;
  for (const coinId of p.coinIds) {
    const what = verdict(coinId);
    if (what === 'release') released += back.run(p.epoch, coinId, p.id).changes;
    else if (what === 'flag') flag.run(p.epoch, coinId, p.id);
  }
  return released;
}

/**
 * Settles a pending coin payment (inside the caller's transaction). A payment no longer pending is
 * left as it is.
 * @example
 * settleCoinsTx(db, payment, { kind: 'paid', receipt, transaction: 'pay_1' }, Date.now());
 */
export function settleCoinsTx(db: WalletDb, p: PaymentRecord, outcome: Outcome, now: number): Settled {
  if (p.state !== 'pending' || outcome.kind === 'pending') return outcome.kind === 'pending' ? 'pending' : 'unchanged';
  if (outcome.kind === 'paid') {
    updatePayment(db, p.id, {
      state: 'paid',
      spent: p.spent,
      receipt: outcome.receipt,
      now,
      ...(outcome.transaction ? { transaction: outcome.transaction } : {}),
    });
    addHistory(db, { at: now, kind: 'paid', mills: 0, detail: `paid ${formatMoney(p.price)} in coins for ${p.url}`, ref: p.id });
    return 'paid';
  }
  if (outcome.kind === 'released') {
    const named = new Set(outcome.released);
    const back = release(db, p, (id) => (named.has(id) ? 'release' : 'keep'));
    updatePayment(db, p.id, { state: 'released', spent: p.spent - back, error: outcome.reason, receipt: outcome.receipt, now });
    addHistory(db, {
      at: now,
      kind: 'released',
      mills: back,
      detail:
        outcome.reason === NEVER_SENT
          ? `${p.url} never sent: ${back} coins back`
          : `${p.url} served free (${outcome.reason}): ${back} coins back`,
      ref: p.id,
    });
    return 'released';
  }
  const reasons = new Map(outcome.refused.filter((r) => p.coinIds.includes(r.coinId)).map((r) => [r.coinId, r.reason]));
  const back = release(db, p, (id) => (KEEP_SPENT_REASONS.has(reasons.get(id) ?? '') ? 'flag' : 'release'));
  updatePayment(db, p.id, {
    state: 'refused',
    spent: p.spent - back,
    error: outcome.error,
    reasons: [...reasons].map(([coinId, reason]) => ({ coinId, reason })),
    now,
    ...(outcome.receipt ? { receipt: outcome.receipt } : {}),
  });
  addHistory(db, {
    at: now,
    kind: 'refused',
    mills: back,
    detail: `${p.url} refused (${outcome.error}): ${back} coins back, ${p.coinIds.length - back} kept as spent`,
    ref: p.id,
  });
  return 'refused';
}
