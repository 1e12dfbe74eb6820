/**
 * Spending: choosing coins for a vendor, marking them spent and recording the payment, all in one
 * IndexedDB transaction that commits before the payment can leave the wallet.
 *
 * What never changes of a stored set (its record and the balls of its later superbins, which are
 * never spent) is kept in memory once read; which first balls are unspent is read in every
 * transaction that counts or spends coins, from the index of unspent first balls, so a choice is
 * never made on anything but what the database holds at that moment.
 * @module
 */
import {
  aint,
  astring,
  coinStarts,
  fromHex,
  encodeHeader,
  encodePayment,
  epochFromJson,
  isExpired,
  MAX_COINS_PER_PAYMENT,
  MICROMINT_MIME,
  formatPrice,
  MICROMINT_SCHEME,
  MAX_PAYMENT_HEADER_BYTES,
  micromintPayload,
  vendorOffsets,
  X402_VERSION,
  type EpochParams,
  type PaymentPayload,
  type PaymentRequirements,
} from '@micromint/shared';
import type { IDBPTransaction } from 'idb';
import { readForCharge, startCharge, type BudgetAllow, type BudgetCharge } from './budgets.ts';
import { coinsForVendor, heldCoins, superbinSet, type StoredSet } from './coins.ts';
import type { WalletDb } from './db.ts';
import { InsufficientFundsError } from './errors.ts';
import type { BallRecord, PaymentRecord, SetRecord, WalletSchema } from './schema.ts';
import { abortQuietly } from './tx.ts';

/** What to pay: a vendor's micromint terms for one URL. */
export interface SpendRequest {
  /** The URL being paid for, as the browser requests it (no fragment). */
  url: string;
  /** The challenge's `resource.url`, echoed in the payload (defaults to `url`). */
  resourceUrl?: string;
  vendorId: string;
  /** The broker the vendor redeems at (`extra.broker`). */
  broker: string;
  epoch: string;
  price: number;
  /** The `accepts` entry being paid, echoed as `accepted`. */
  requirement: PaymentRequirements;
  /** The budgets (budgets.ts): `enforce` for a payment made without asking; `allow`, the reader's "allow up to". */
  budget?: BudgetTerms;
  now?: number;
}

/** How a payment meets the budgets: every payment is charged; `enforce` refuses one that passes a budget. */
export interface BudgetTerms {
  enforce?: boolean;
  allow?: BudgetAllow;
}

/** How many coins the wallet has for a vendor. */
export interface Funds {
  /** Spendable first-superbin balls of the epoch. */
  held: number;
  /** Coins that can be made for this vendor. */
  makeable: number;
}

/**
 * True when a PAYMENT-SIGNATURE value is longer than vendors take ({@link MAX_PAYMENT_HEADER_BYTES}):
 * such a payment travels as the body of a POST instead.
 */
export const headerTooLarge = (value: string): boolean => value.length > MAX_PAYMENT_HEADER_BYTES;

/** The newest of `payments` still pending for `vendorId`: what a URL's next payment must resend. */
export const newestPending = (payments: readonly PaymentRecord[], vendorId: string): PaymentRecord | undefined =>
  payments.filter((p) => p.state === 'pending' && p.vendorId === vendorId).sort((a, b) => b.createdAt - a.createdAt)[0];

/** The stores a spend touches; the read-only count opens the same set so both share {@link loadEpoch}. */
const SPEND_STORES = ['epochs', 'sets', 'balls', 'meta', 'payments', 'history', 'budgets', 'spending'] as const;
type SpendTx = IDBPTransaction<WalletSchema, (typeof SPEND_STORES)[number][], IDBTransactionMode>;

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** What never changes of a stored set: its record and the balls of its later superbins, as `buildCoin` wants them. */
interface FixedSet {
  record: SetRecord;
  later: Map<number, Uint8Array>[];
}

/** The later superbins of a set's balls (index: role; 0 left empty). */
function laterSuperbins(k: number, balls: readonly BallRecord[]): Map<number, Uint8Array>[] {
  const later = Array.from({ length: k }, () => new Map<number, Uint8Array>());
  for (const b of balls) if (b.role > 0) later[b.role]?.set(b.subbin, fromHex(b.x));
  return later;
}

/** Per wallet database, the fixed part of every set read so far, by set id. */
const fixedSets = new WeakMap<WalletDb, Map<string, FixedSet>>();

/** The fixed parts of sets `ids` (of an epoch with `k` superbins a set), read in `tx` the first time each is needed. */
async function fixedPartsOf(db: WalletDb, tx: SpendTx, k: number, ids: Iterable<string>): Promise<Map<string, FixedSet>> {
  let known = fixedSets.get(db);
  if (!known) fixedSets.set(db, (known = new Map()));
  const missing = [...ids].filter((id) => !known.has(id));
  const byIndex = tx.objectStore('balls').index('by-set');
  const read = await Promise.all(
    missing.map(async (id) => {
      const [record, balls] = await Promise.all([tx.objectStore('sets').get(id), byIndex.getAll(id)]);
      return record && { record, later: laterSuperbins(k, balls) };
    }),
  );
  for (const fixed of read) if (fixed) known.set(fixed.record.id, fixed);
  return known;
}

/**
 * The epoch's params and the owner's sets that have an unspent first ball, each with those first
 * balls (read now) and its later superbins (kept), if the wallet may pay with them at `now` for
 * `broker`; else null. The reads go out together.
 */
async function loadEpoch(
  db: WalletDb,
  tx: SpendTx,
  epoch: string,
  broker: string,
  now: number,
): Promise<{ params: EpochParams; sets: StoredSet[] } | null> {
  const [record, owner, unspent] = await Promise.all([
    tx.objectStore('epochs').get(epoch),
    tx.objectStore('meta').get('userId'),
    tx.objectStore('balls').index('by-epoch-role-state').getAll([epoch, 0, 'unspent']),
  ]);
  if (!record || originOf(record.broker) !== originOf(broker)) return null;
  const params = epochFromJson(record.params);
  if (isExpired(params, now)) return null;
  const firsts = new Map<string, BallRecord[]>();
  for (const b of unspent) {
    const of = firsts.get(b.set);
    if (of) of.push(b);
    else firsts.set(b.set, [b]);
  }
  const fixed = await fixedPartsOf(db, tx, params.k, firsts.keys());
  const sets: StoredSet[] = [];
  for (const [id, balls] of firsts) {
    const f = fixed.get(id);
    if (f && f.record.userId === owner?.value && f.record.epoch === epoch) sets.push({ record: f.record, balls, later: f.later });
  }
  return { params, sets: sets.sort((a, b) => a.record.first - b.record.first) };
}

/**
 * Counts what the wallet could pay a vendor in an epoch, without changing anything.
 * @example
 * const { makeable } = await fundsFor(db, { epoch: '2026-11', broker, vendorId: 'http://127.0.0.1:4001' });
 */
export async function fundsFor(db: WalletDb, q: { epoch: string; broker: string; vendorId: string; now?: number }): Promise<Funds> {
  const tx = db.transaction([...SPEND_STORES], 'readonly');
  const loaded = await loadEpoch(db, tx, q.epoch, q.broker, q.now ?? Date.now());
  await tx.done;
  if (!loaded) return { held: 0, makeable: 0 };
  const vh = vendorOffsets(loaded.params, q.vendorId);
  return { held: heldCoins(loaded.sets), makeable: makeable(loaded.params, vh, loaded.sets) };
}

/** How many coins `sets` make for the vendor with offsets `vh` (counted, not made). */
const makeable = (p: EpochParams, vh: readonly number[], sets: readonly StoredSet[]): number =>
  sets.reduce((n, s) => n + coinStarts(p, superbinSet(p, s), vh).length, 0);

/** The newest payment still pending for `url` and `vendorId` among the wallet's pending ones (few: each is settled by its answer). */
export const pendingIn = (pending: readonly PaymentRecord[], url: string, vendorId: string): PaymentRecord | undefined =>
  newestPending(
    pending.filter((p) => p.url === url),
    vendorId,
  );

/**
 * Picks `price` coins for the vendor, marks their first balls spent and writes the pending payment
 * with its exact PAYMENT-SIGNATURE value, in ONE readwrite transaction. When that header would be
 * longer than `MAX_PAYMENT_HEADER_BYTES` the record also carries the exact POST body the
 * payment travels in instead: a MicroMint-1.0 Payment message of the same coins. Everything between the
 * reads and the writes is synchronous, so the transaction cannot commit half-way, and two spends
 * never see the same unspent ball (IndexedDB runs overlapping readwrite transactions one at a time).
 * A payment still pending for the same URL and vendor is returned instead, unchanged: it is to be
 * sent again byte for byte (the vendor answers a repeat as already paid), and checking for it in
 * this same transaction means two tabs or two fetch() calls racing for one URL pay it once.
 * The same transaction charges the site's and the wallet's budgets (budgets.ts): with
 * `budget.enforce` a payment that would pass one throws `BudgetExceededError`, so two tabs cannot
 * both pass a budget that holds one more payment.
 * Throws {@link InsufficientFundsError} (nothing written) when the wallet cannot make enough coins.
 * @example
 * const payment = await spend(db, { url, vendorId, broker, epoch, price: 2, requirement });
 * // send payment.header as PAYMENT-SIGNATURE
 */
export async function spend(db: WalletDb, req: SpendRequest): Promise<PaymentRecord> {
  astring(req.url, 'url', 8192);
  astring(req.vendorId, 'vendorId', 512);
  astring(req.epoch, 'epoch', 64);
  aint(req.price, 1, MAX_COINS_PER_PAYMENT, 'price');
  const now = req.now ?? Date.now();
  const tx = db.transaction([...SPEND_STORES], 'readwrite');
  try {
    const charge: BudgetCharge = {
      site: req.vendorId,
      mills: req.price,
      now,
      enforce: req.budget?.enforce === true,
      allow: req.budget?.allow,
    };
    // The budgets' reads go out with the coins' (an "allow up to" is set first, and read after).
    const budgetReads = charge.allow ? undefined : readForCharge(tx, charge);
    const [pendingNow, loaded] = await Promise.all([
      tx.objectStore('payments').index('by-state').getAll('pending'),
      loadEpoch(db, tx, req.epoch, req.broker, now),
    ]);
    const pending = pendingIn(pendingNow, req.url, req.vendorId);
    if (pending) {
      await tx.done;
      return pending;
    }
    if (!loaded) throw new InsufficientFundsError(req.price, 0, 0);
    const vh = vendorOffsets(loaded.params, req.vendorId);
    const coins = coinsForVendor(loaded.params, vh, loaded.sets, req.price);
    if (coins.length < req.price)
      throw new InsufficientFundsError(req.price, heldCoins(loaded.sets), makeable(loaded.params, vh, loaded.sets));
    // Checked here; its writes go out with the coins' below.
    const charged = await startCharge(tx, charge, budgetReads);

    const userId = coins[0]!.userId;
    const body: PaymentPayload = {
      x402Version: X402_VERSION,
      resource: { url: req.resourceUrl ?? req.url },
      accepted: req.requirement,
      payload: {
        ...micromintPayload(
          req.epoch,
          userId,
          coins.map((c) => c.coin),
        ),
      },
    };
    const header = encodeHeader(body);
    const payment: PaymentRecord = {
      id: crypto.randomUUID(),
      url: req.url,
      vendorId: req.vendorId,
      broker: req.broker,
      epoch: req.epoch,
      scheme: MICROMINT_SCHEME,
      price: req.price,
      coinIds: coins.map((c) => c.id),
      header,
      ...(headerTooLarge(header)
        ? {
            body: {
              contentType: MICROMINT_MIME,
              text: encodePayment(loaded.params, {
                url: req.resourceUrl ?? req.url,
                vendorId: req.vendorId,
                userId,
                epoch: req.epoch,
                coins: coins.map((c) => c.coin),
              }),
            },
          }
        : {}),
      state: 'pending',
      reasons: [],
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    const balls = tx.objectStore('balls');
    await Promise.all([
      charged.written,
      ...coins.map((c) => balls.put({ ...c.first, state: 'spent', paymentId: payment.id })),
      tx.objectStore('payments').add(payment),
      tx
        .objectStore('history')
        .add({ at: now, kind: 'spend', coins: -req.price, detail: `${formatPrice(req.price)} for ${req.url}`, ref: payment.id }),
    ]);
    await tx.done;
    return payment;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}
