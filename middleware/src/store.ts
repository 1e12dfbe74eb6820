/**
 * The vendor's coin log: what it was paid, what it refused, what it sent to the broker.
 * {@link VendorStore} is pluggable (like express-session's stores); the default is
 * `SqliteVendorStore`, and `MemoryVendorStore` serves tests.
 * @module
 */
import { randomBytes, randomFillSync } from 'node:crypto';
import type { EpochParamsJson } from '@micromint/shared';
import type { BrokerChainResult, PaywordStore, RedeemChain } from './payword-store.ts';

export * from './payword-store.ts';

/** One coin of a payment, verified and about to be recorded. */
export interface PaymentCoin {
  /** `coinId(coin)`: hex of the first ball, the coin's identity within its epoch. */
  id: string;
  /** The coin's k balls (16k bytes). */
  coin: Uint8Array;
}

/** A verified payment to record. */
export interface NewPayment {
  /** Payment id, returned as `transaction` in `PAYMENT-RESPONSE`. */
  id: string;
  epoch: string;
  userId: string;
  /** Request method the payment is bound to (`HEAD` is recorded as `GET`). */
  method: string;
  /** Absolute URL the payment is for. */
  url: string;
  /** Price in coins (equals `coins.length`). */
  price: number;
  /** ISO 8601 time of payment. */
  paidAt: string;
  coins: PaymentCoin[];
}

/** What {@link VendorStore.recordPayment} did. */
export type PaymentOutcome =
  /** New payment: it and all its coins are now recorded durably. */
  | { status: 'recorded'; paymentId: string }
  /** The same coins paid for the same method, URL and user before: nothing was recorded again. */
  | { status: 'replay'; paymentId: string; paidAt: string }
  /** Some coins were seen before (or repeat inside the payment): nothing recorded but the refusal. */
  | { status: 'already-spent'; coinIds: string[] };

/** A payment to look up as a possible replay: its coins, and what it is bound to. */
export interface ReplayQuery {
  epoch: string;
  userId: string;
  method: string;
  url: string;
  /** The coins as sent; a replay must repeat the recorded coins byte for byte, not just their ids. */
  coins: PaymentCoin[];
}

/** What {@link classifyPayment} looks at in a payment. */
export type ClassifiedPayment = Pick<NewPayment, 'userId' | 'method' | 'url'> & { coins: readonly { id: string }[] };

/** A refused payment attempt, for the refusal log. */
export interface Refusal {
  /** ISO 8601 time of the attempt. */
  at: string;
  /** The scheme of the payment (default `micromint`). */
  scheme?: string;
  /** The coins' epoch (`''` for a payword payment). */
  epoch: string;
  userId: string;
  method: string;
  url: string;
  /** A refusal reason code, e.g. `already-spent`. */
  reason: string;
  /** The coins at fault (none for a payword payment). */
  coinIds: string[];
  /** Payword: the chain, and the index and units the payment claimed. */
  chainId?: string;
  index?: number;
  units?: number;
  detail?: string;
}

/** A coin as sent to the broker's `POST /api/redeem`. */
export interface RedeemCoin {
  epoch: string;
  coinId: string;
  userId: string;
  coin: Uint8Array;
  url: string;
  paidAt: string;
}

/** A redemption batch: its id is recorded before the batch is sent. */
export interface RedemptionBatch {
  batchId: string;
  /** ISO time the batch was created (first sent). */
  createdAt: string;
  /** True when this batch was created by an earlier run whose answer never arrived. */
  retry: boolean;
  coins: RedeemCoin[];
  /** Chains to clear, each at the highest index it had when the batch was made. */
  chains: RedeemChain[];
}

/** One coin in the broker's answer. */
export interface BrokerCoinResult {
  coinId: string;
  status: 'credited' | 'refused';
  reason?: string;
}

/** The broker's answer to `POST /api/redeem`. */
export interface BrokerRedeemResponse {
  batchId: string;
  credited: number;
  creditedMills: number;
  results: BrokerCoinResult[];
  /** The chains of the batch, in request order; absent when the batch had none (or from a broker without chains). */
  chains?: BrokerChainResult[];
}

/**
 * How a batch ended: the broker's answer, or a failure the broker reported for the whole batch
 * (e.g. 413), after which its coins go back to pending for a later batch.
 */
export type BatchResult =
  { batchId: string; answeredAt: string; response: BrokerRedeemResponse } | { batchId: string; answeredAt: string; failed: string };

/** A recorded payment with its coins. */
export interface StoredPayment extends Omit<NewPayment, 'coins'> {
  coins: { id: string; status: CoinStatus; reason?: string; batchId?: string }[];
}

/** Redemption status of a recorded coin. */
export type CoinStatus = 'pending' | 'credited' | 'refused';

/** An epoch as a store keeps it: its JSON form (key in hex), with the broker's optional dates. */
export interface StoredEpoch extends EpochParamsJson {
  /** Coins of the epoch must reach the broker by then (ISO 8601), when the broker says so. */
  redeemBy?: string;
  /** From then the broker takes unspent coins of the epoch back (ISO 8601), when the broker says so. */
  returnsFrom?: string;
}

/** Counts over the whole store. */
export interface VendorStats {
  payments: number;
  coins: number;
  /** Coins not yet answered by the broker (including those in an open batch). */
  pending: number;
  /** Pending coins that belong to a batch sent but not answered. */
  inOpenBatch: number;
  credited: number;
  refused: number;
  /** Refused payment attempts (double spends). */
  refusals: number;
  batches: number;
  openBatches: number;
  /** Payword chains known. */
  chains: number;
  /** Payword payments recorded. */
  chainPayments: number;
  /** Chains whose highest index is above what the broker cleared. */
  chainsToClear: number;
}

/**
 * Storage for a vendor. Every method is async so a store may live in another process; each
 * write must be durable when its promise resolves (the middleware serves content only after).
 *
 * @example
 * const store = new MemoryVendorStore();
 * const outcome = await store.recordPayment(payment); // { status: 'recorded', paymentId }
 */
export interface VendorStore extends Partial<PaywordStore> {
  /**
   * In ONE transaction: a payment whose coins were all recorded before by the same payment
   * (same method, URL and user) is a `replay` and changes nothing; a payment with a coin seen
   * before otherwise, or a coin repeated inside it, is `already-spent` and is added to the refusal
   * log (the same as {@link recordRefusal}); any other payment is recorded with all its coins
   * as `pending`. A replay marks the recorded payment as served again, so that
   * {@link unrecordPayment} never takes back a payment another request was served for; it changes
   * nothing else. Whether a replay is still served is the middleware's call (its replay window,
   * {@link withinReplayWindow}).
   */
  recordPayment(payment: NewPayment): Promise<PaymentOutcome>;
  /**
   * The recorded payment that `query` repeats (what {@link recordPayment} would call a `replay`),
   * without changing anything. The middleware asks it before refusing a payment for terms that
   * may have moved on since it was recorded (a price change, an epoch that expired since): a
   * retry after a lost answer is then served as paid instead of being called "not taken".
   * A replay here is {@link classifyPayment}'s, and every coin's bytes must equal the recorded
   * coin's (the coins were not verified against an epoch: an id alone must not pass). A payment
   * found is marked as served again, as by {@link recordPayment}; nothing else changes.
   * Optional, so stores written before it still work (they refuse such retries).
   */
  findReplay?(query: ReplayQuery): Promise<{ paymentId: string; paidAt: string } | undefined>;
  /**
   * Takes back a payment that was recorded and then not served (the site answered 5xx), in ONE
   * transaction, and only when nothing else has a claim on it: every coin is still `pending` and
   * in no redemption batch, and no request was served the payment again as a replay. Returns true
   * when the payment and its coins are gone (the coins are the user's again and may be spent
   * anew), false when it stays as it was. Optional: without it such a payment stays recorded.
   */
  unrecordPayment?(paymentId: string): Promise<boolean>;
  /** Keeps an epoch's parameters, replacing one of the same id, so that a restarted vendor verifies coins without the broker. Optional. */
  saveEpoch?(epoch: StoredEpoch): Promise<void>;
  /** The epochs kept by {@link saveEpoch}. Optional. */
  epochs?(): Promise<StoredEpoch[]>;
  /** Checks that the store can record now, with a small durable write; throws when it cannot. Optional (health checks then use {@link stats}). */
  probe?(): Promise<void>;
  /** Pending coins (not yet answered by the broker) by epoch. Optional (`redeem()` warns with it when an epoch's `redeemBy` nears). */
  pendingByEpoch?(): Promise<{ epoch: string; pending: number }[]>;
  /** Appends a refused attempt to the refusal log. */
  recordRefusal(refusal: Refusal): Promise<void>;
  /**
   * The batch to send to the broker next, recorded before it is returned: the batch still
   * waiting for an answer if there is one (same id, same coins and chains: the broker answers a
   * repeated batch id with its stored answer), else a new batch of at most `limit` pending coins
   * and at most `limit` chains to clear (highest index above what the broker cleared, and above
   * the last refused clearing), each at its highest index and link now. Null when nothing is pending.
   */
  unredeemed(limit: number): Promise<RedemptionBatch | null>;
  /**
   * Closes a batch: marks each coin the broker answered `credited` or `refused` (with reason);
   * coins it did not mention, or all coins of a `failed` batch, go back to pending. Each chain
   * answered gets the broker's cleared index (and the units and mills paid, or the refusal); a
   * chain not answered, or of a failed batch, is due again (the broker pays a chain only above
   * what it cleared, so sending one again never pays a unit twice).
   */
  markRedeemed(result: BatchResult): Promise<void>;
  /** A recorded payment by id, with its coins. */
  payment(id: string): Promise<StoredPayment | undefined>;
  /** Counts of payments, coins by status, refusals and batches. */
  stats(): Promise<VendorStats>;
  /** Releases the store's resources; further calls fail. */
  close(): Promise<void>;
}

let lastIdSlot = 0;
const idRandom = Buffer.alloc(4096);
let idRandomAt = idRandom.length;

/**
 * A fresh payment id (the receipt's `transaction`): `pay_` + 24 hex characters, the first 12 the
 * time in ms and the next 2 a sequence within the ms (ids of one process are increasing), then 10
 * random. The SQLite store files a payment under its id's time (no index on ids needed).
 */
export const newPaymentId = (): string => {
  if (idRandomAt + 6 > idRandom.length) {
    randomFillSync(idRandom);
    idRandomAt = 0;
  }
  const random = idRandom.subarray(idRandomAt, (idRandomAt += 6));
  // A random start within the ms keeps two processes writing one file from picking the same slot.
  let slot = Date.now() * 256 + (random[0]! & 0x7f);
  if (slot <= lastIdSlot) slot = lastIdSlot + 1;
  lastIdSlot = slot;
  return `pay_${Math.floor(slot / 256)
    .toString(16)
    .padStart(12, '0')}${(slot % 256).toString(16).padStart(2, '0')}${random.toString('hex', 1)}`;
};

/** A fresh redemption batch id: `rb_` + 24 hex characters. */
export const newBatchId = (): string => `rb_${randomBytes(12).toString('hex')}`;

/** Byte equality of a coin as sent and as recorded. */
export const sameCoin = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** A coin already in the store, as {@link classifyPayment} needs it. */
export interface KnownCoin {
  coinId: string;
  paymentId: string;
  userId: string;
  method: string;
  url: string;
  paidAt: string;
  /** How many coins that payment holds. */
  paymentCoins: number;
}

/**
 * The idempotency rule shared by every store: replay, double spend, or new.
 * `known` lists the payment's coins that are already recorded (same epoch).
 */
export function classifyPayment(
  payment: ClassifiedPayment,
  known: readonly KnownCoin[],
): { status: 'new' } | { status: 'replay'; paymentId: string; paidAt: string } | { status: 'already-spent'; coinIds: string[] } {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const c of payment.coins) (seen.has(c.id) ? repeated : seen).add(c.id);
  if (repeated.size) return { status: 'already-spent', coinIds: [...repeated] };
  if (known.length === 0) return { status: 'new' };
  const first = known[0]!;
  const replay =
    known.length === payment.coins.length &&
    first.paymentCoins === payment.coins.length &&
    known.every(
      (k) => k.paymentId === first.paymentId && k.userId === payment.userId && k.url === payment.url && k.method === payment.method,
    );
  if (replay) return { status: 'replay', paymentId: first.paymentId, paidAt: first.paidAt };
  return { status: 'already-spent', coinIds: known.map((k) => k.coinId) };
}

/**
 * The replay window: a payment recorded at `paidAt` may be served again as a replay until
 * `windowSeconds` after it, inclusive (`now` in milliseconds since 1970). Later, the same payment
 * is refused as `already-spent`. An unreadable `paidAt` is outside every window.
 */
export function withinReplayWindow(paidAt: string, now: number, windowSeconds: number): boolean {
  const at = Date.parse(paidAt);
  return Number.isFinite(at) && now - at <= windowSeconds * 1000;
}

/** The refusal a store records when a payment reuses coins it has seen (a double spend). */
export const doubleSpendRefusal = (payment: NewPayment, coinIds: string[]): Refusal => ({
  at: payment.paidAt,
  epoch: payment.epoch,
  userId: payment.userId,
  method: payment.method,
  url: payment.url,
  reason: 'already-spent',
  coinIds,
});

/** Checks a store-like object at the boundary (every method of {@link VendorStore}). */
export function assertVendorStore(value: unknown, name = 'store'): asserts value is VendorStore {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name} must be a VendorStore object`);
  for (const m of ['recordPayment', 'recordRefusal', 'unredeemed', 'markRedeemed', 'payment', 'stats', 'close'] as const)
    if (typeof (value as Record<string, unknown>)[m] !== 'function') throw new TypeError(`${name}.${m} must be a function`);
}
