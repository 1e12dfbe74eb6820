/**
 * What happens to a payment after it left: the vendor's receipt, its refusal, the coins it gave
 * back, or silence.
 * @module
 */
import { formatPrice } from '@micromint/shared';
import type { IDBPTransaction } from 'idb';
import { refundSpending } from './budgets.ts';
import type { WalletDb } from './db.ts';
import { WalletError } from './errors.ts';
import type { CoinRefusal, PaymentRecord, WalletSchema } from './schema.ts';
import { newestPending } from './spend.ts';
import { abortQuietly } from './tx.ts';

/** Reasons that mean the vendor (or someone before it) took the coin: it must never be offered again. */
export const KEEP_SPENT_REASONS: ReadonlySet<string> = new Set(['already-spent']);

/** Outcome of a refusal (or a release) for the wallet's balance. */
export interface RefusalOutcome {
  payment: PaymentRecord;
  /** Coins put back into the balance. */
  released: number;
  /** Coins that stay spent: refused as already spent (now flagged), or not named as given back. */
  kept: number;
}

async function getPayment(db: WalletDb, id: string): Promise<PaymentRecord> {
  const p = await db.get('payments', id);
  if (!p) throw new WalletError('unknown-payment', `no payment ${id}`);
  return p;
}

/**
 * Notes that the payment's payload is about to be sent (again).
 * @example
 * await markSent(db, payment.id);
 */
export async function markSent(db: WalletDb, id: string, now = Date.now()): Promise<PaymentRecord> {
  const tx = db.transaction(['payments', 'history'], 'readwrite');
  const p = await tx.objectStore('payments').get(id);
  if (!p) {
    abortQuietly(tx);
    throw new WalletError('unknown-payment', `no payment ${id}`);
  }
  const next = { ...p, attempts: p.attempts + 1, updatedAt: now };
  await tx.objectStore('payments').put(next);
  if (p.attempts > 0)
    await tx
      .objectStore('history')
      .add({ at: now, kind: 'resend', coins: 0, detail: `resent ${formatPrice(p.price)} for ${p.url}`, ref: id });
  await tx.done;
  return next;
}

/**
 * Records the vendor's receipt. A payment already paid stays as it is (the vendor answers a
 * resent payment as paid again).
 * @example
 * await markPaid(db, payment.id, { transaction: 'pay_123' });
 */
export async function markPaid(db: WalletDb, id: string, receipt: { transaction?: string } = {}, now = Date.now()): Promise<PaymentRecord> {
  const tx = db.transaction(['payments', 'history'], 'readwrite');
  const p = await tx.objectStore('payments').get(id);
  if (!p) {
    abortQuietly(tx);
    throw new WalletError('unknown-payment', `no payment ${id}`);
  }
  if (p.state === 'paid') {
    await tx.done;
    return p;
  }
  const next: PaymentRecord = { ...p, state: 'paid', updatedAt: now, ...(receipt.transaction ? { transaction: receipt.transaction } : {}) };
  await tx.objectStore('payments').put(next);
  await tx.objectStore('history').add({ at: now, kind: 'paid', coins: 0, detail: `paid ${formatPrice(p.price)} for ${p.url}`, ref: id });
  await tx.done;
  return next;
}

type SettleTx = IDBPTransaction<WalletSchema, ('payments' | 'balls' | 'history' | 'spending')[], 'readwrite'>;

/**
 * Puts the payment's coins back to unspent, except those `keep` says stay spent (flagged when it
 * says `flag`). Only balls still spent by this payment are touched: a coin id of another payment
 * changes nothing.
 */
async function releaseCoins(
  tx: SettleTx,
  p: PaymentRecord,
  keep: (coinId: string) => 'release' | 'keep' | 'flag',
): Promise<{ released: number; kept: number }> {
  const balls = tx.objectStore('balls');
  let released = 0;
  let kept = 0;
  for (const coinId of p.coinIds) {
    const ball = await balls.get([p.epoch, coinId]);
    if (!ball || ball.paymentId !== p.id) continue;
    const what = keep(coinId);
    if (what === 'release') {
      const { paymentId: _spentBy, ...rest } = ball;
      await balls.put({ ...rest, state: 'unspent' });
      released++;
    } else {
      if (what === 'flag') await balls.put({ ...ball, flag: 'double-spend' });
      kept++;
    }
  }
  return { released, kept };
}

/**
 * Records a refusal and releases the payment's coins in one transaction, except coins refused
 * with a reason in {@link KEEP_SPENT_REASONS}: those stay spent and are flagged, so the wallet
 * never offers a coin the vendor believes it has seen. Only a pending payment can be refused.
 * @example
 * await markRefused(db, payment.id, { error: 'already-spent', refused: [{ coinId, reason: 'already-spent' }] });
 */
export async function markRefused(
  db: WalletDb,
  id: string,
  refusal: { error?: string; refused?: readonly CoinRefusal[] },
  now = Date.now(),
): Promise<RefusalOutcome> {
  const tx = db.transaction(['payments', 'balls', 'history', 'spending'], 'readwrite');
  try {
    const p = await tx.objectStore('payments').get(id);
    if (!p) throw new WalletError('unknown-payment', `no payment ${id}`);
    if (p.state !== 'pending') {
      await tx.done;
      return { payment: p, released: 0, kept: 0 };
    }
    const reasons = new Map((refusal.refused ?? []).filter((r) => p.coinIds.includes(r.coinId)).map((r) => [r.coinId, r.reason]));
    const { released, kept } = await releaseCoins(tx, p, (coinId) =>
      KEEP_SPENT_REASONS.has(reasons.get(coinId) ?? '') ? 'flag' : 'release',
    );
    // Coins back in the wallet are not spent: the site's budget gets them back too.
    await refundSpending(tx, { site: p.vendorId, at: p.createdAt, mills: released });
    const next: PaymentRecord = {
      ...p,
      state: 'refused',
      reasons: [...reasons].map(([coinId, reason]) => ({ coinId, reason })),
      ...(refusal.error ? { error: refusal.error } : {}),
      updatedAt: now,
    };
    await tx.objectStore('payments').put(next);
    await tx.objectStore('history').add({
      at: now,
      kind: 'refused',
      coins: released,
      detail: `${p.url} refused (${refusal.error ?? 'no reason'}): ${released} coins released, ${kept} kept as spent`,
      ref: id,
    });
    await tx.done;
    return { payment: next, released, kept };
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/**
 * The vendor served the request without keeping the payment (the URL became free, or its handler
 * failed) and named the coins it gave back. Those go back to unspent and the payment is closed as
 * `released`, in one transaction; coins of the payment the vendor did not name stay spent (it may
 * hold them). Only a pending payment can be released.
 * @example
 * await markReleased(db, payment.id, { reason: 'not_served', released: payment.coinIds });
 */
export async function markReleased(
  db: WalletDb,
  id: string,
  release: { reason: string; released: readonly string[] },
  now = Date.now(),
): Promise<RefusalOutcome> {
  const tx = db.transaction(['payments', 'balls', 'history', 'spending'], 'readwrite');
  try {
    const p = await tx.objectStore('payments').get(id);
    if (!p) throw new WalletError('unknown-payment', `no payment ${id}`);
    if (p.state !== 'pending') {
      await tx.done;
      return { payment: p, released: 0, kept: 0 };
    }
    const named = new Set(release.released);
    const { released, kept } = await releaseCoins(tx, p, (coinId) => (named.has(coinId) ? 'release' : 'keep'));
    await refundSpending(tx, { site: p.vendorId, at: p.createdAt, mills: released });
    const next: PaymentRecord = { ...p, state: 'released', error: release.reason, updatedAt: now };
    await tx.objectStore('payments').put(next);
    await tx.objectStore('history').add({
      at: now,
      kind: 'released',
      coins: released,
      detail: `${p.url} served without payment (${release.reason}): ${released} coins given back, ${kept} kept as spent`,
      ref: id,
    });
    await tx.done;
    return { payment: next, released, kept };
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** The newest pending payment for `url` at `vendorId`: what to resend after a lost response. */
export async function pendingPaymentFor(db: WalletDb, url: string, vendorId: string): Promise<PaymentRecord | undefined> {
  return newestPending(await db.getAllFromIndex('payments', 'by-url', url), vendorId);
}

/** The latest payments, newest first. */
export async function recentPayments(db: WalletDb, limit = 20): Promise<PaymentRecord[]> {
  const out: PaymentRecord[] = [];
  let cursor = await db.transaction('payments').store.index('by-created').openCursor(null, 'prev');
  while (cursor && out.length < limit) {
    out.push(cursor.value);
    cursor = await cursor.continue();
  }
  return out;
}

/** A payment by id. */
export const paymentById = (db: WalletDb, id: string): Promise<PaymentRecord> => getPayment(db, id);
