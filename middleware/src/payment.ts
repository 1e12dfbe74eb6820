/**
 * Checking a `PAYMENT-SIGNATURE` (the thesis's `check-micromint`, step 4): the payment must be
 * for this URL, this vendor and this broker, in an epoch we know that has not expired, carry
 * exactly the price in coins, and every coin must verify locally (k hashes each, no broker call).
 * Recording (and the double-spend check) happens afterwards, in one store transaction.
 * @module
 */
import {
  BALL_BYTES,
  coinId,
  fromBase64,
  isExpired,
  MAX_COINS_PER_PAYMENT,
  PaymentHeaderError,
  readMicromintPayload,
  readMicromintRequirements,
  type EpochParams,
  type PaymentPayload,
  type RefusalReason,
} from '@micromint/shared';
import type { PaymentFailure, RefusedCoinInfo } from './challenge.ts';
import type { EpochSource } from './epochs.ts';
import type { PaymentCoin } from './store.ts';

/** The outcome of checking a payment header. */
export type PaymentCheck =
  /** The header cannot be read: 400, nothing consumed. */
  | { kind: 'malformed'; message: string }
  /**
   * Readable but not acceptable: 402 again. `retry` is set when the refusal is for terms that
   * may have changed since the same coins were recorded (the price, the epoch's expiry, the
   * epochs this process knows): the caller looks for that recorded payment first and serves it
   * as a replay.
   */
  | { kind: 'refused'; failure: PaymentFailure; epoch?: EpochParams; retry?: RetryCandidate }
  /** Every coin verified: record it, then serve. */
  | { kind: 'valid'; epoch: EpochParams; userId: string; coins: PaymentCoin[] };

/** The coins of a refused payment, to look up as a possibly recorded earlier payment. */
export interface RetryCandidate {
  epoch: string;
  userId: string;
  coins: PaymentCoin[];
}

/** What a scheme's checker knows of the request. */
export interface PaymentContext {
  /** Absolute URL of the request. */
  url: string;
  price: number;
  vendorId: string;
  /** `micromint:<broker origin>`. */
  network: string;
  epochs: EpochSource;
  now: number;
}

/** Checks one scheme's payment; schemes are looked up by `accepted.scheme`. */
export type SchemeChecker = (payment: PaymentPayload, ctx: PaymentContext) => Promise<PaymentCheck>;

/** What a payment carries, read without checking it: who sent it and the ids of its coins. */
export interface CarriedPayment {
  payer?: string;
  /** Ids of the coins (or the scheme's units) the payment holds, as far as they can be read. */
  ids: string[];
}

/**
 * One payment scheme this vendor takes (x402's server half of a scheme): how its payments are
 * checked, and what one carries, for a receipt that gives it back untaken (a free URL).
 */
export interface PaymentScheme {
  check: SchemeChecker;
  carried(payment: PaymentPayload): CarriedPayment;
}

const refuse = (error: string, detail?: string, refused: RefusedCoinInfo[] = [], epoch?: EpochParams): PaymentCheck => ({
  kind: 'refused',
  failure: { error, refused, ...(detail ? { detail } : {}) },
  ...(epoch ? { epoch } : {}),
});

/** The same URL as the WHATWG parser writes it, or undefined when it is not a URL. */
export function normalizeUrl(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** Best-effort ids of coins that cannot be decoded against an epoch: each strict base64 coin of at least one ball. */
function looseCoinIds(coins: unknown): string[] {
  if (!Array.isArray(coins)) return [];
  const out: string[] = [];
  for (const c of coins.slice(0, MAX_COINS_PER_PAYMENT)) {
    if (typeof c !== 'string') continue;
    try {
      const bytes = fromBase64(c);
      if (bytes.length >= BALL_BYTES) out.push(coinId(bytes));
    } catch {
      // not base64: nothing to name
    }
  }
  return out;
}

/** The payload's coins as a retry candidate when every one of them is strict base64 of a whole number of balls. */
function strictRetry(epoch: string, payload: Record<string, unknown>): RetryCandidate | undefined {
  const { userId, coins } = payload;
  if (typeof userId !== 'string' || !Array.isArray(coins) || coins.length === 0 || coins.length > MAX_COINS_PER_PAYMENT) return undefined;
  const out: PaymentCoin[] = [];
  for (const c of coins) {
    let coin: Uint8Array;
    try {
      coin = fromBase64(c as string);
    } catch {
      return undefined;
    }
    if (coin.length < 2 * BALL_BYTES || coin.length % BALL_BYTES !== 0) return undefined;
    out.push({ id: coinId(coin), coin });
  }
  return { epoch, userId, coins: out };
}

/** The `micromint` scheme. */
export const checkMicromintPayment: SchemeChecker = async (payment, ctx) => {
  try {
    readMicromintRequirements(payment.accepted);
  } catch (e) {
    return { kind: 'malformed', message: (e as Error).message };
  }
  const extra = payment.accepted.extra as { vendorId: string };
  const epochId = payment.payload.epoch;
  if (typeof epochId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(epochId))
    return { kind: 'malformed', message: 'payload.epoch must be an epoch id' };

  if (payment.resource?.url !== undefined && normalizeUrl(payment.resource.url) !== ctx.url)
    return refuse('wrong-url', `this payment is for ${payment.resource.url.slice(0, 300)}, not ${ctx.url}`);
  if (payment.accepted.payTo !== ctx.vendorId || extra.vendorId !== ctx.vendorId)
    return refuse('wrong-vendor', `this payment is made out to ${payment.accepted.payTo.slice(0, 300)}, not ${ctx.vendorId}`);
  if (payment.accepted.network !== ctx.network)
    return refuse('wrong-network', `this vendor takes coins of ${ctx.network}, not ${payment.accepted.network.slice(0, 300)}`);

  const epoch = await ctx.epochs.find(epochId);
  if (!epoch) {
    // Without the epoch the coins cannot be checked, but they may be a payment recorded before a
    // restart forgot the epoch: the store compares them byte for byte with what it recorded.
    const retry = strictRetry(epochId, payment.payload);
    const refused = looseCoinIds(payment.payload.coins).map((id) => ({ coinId: id, reason: 'unknown-epoch' }));
    return { ...refuse('unknown-epoch', `epoch ${epochId} is not known here`, refused), ...(retry ? { retry } : {}) };
  }

  let pay: { userId: string; coins: Uint8Array[] };
  try {
    pay = readMicromintPayload(epoch, payment);
  } catch (e) {
    if (e instanceof PaymentHeaderError) return { kind: 'malformed', message: e.message };
    throw e;
  }
  const retry: RetryCandidate = { epoch: epoch.id, userId: pay.userId, coins: pay.coins.map((coin) => ({ id: coinId(coin), coin })) };
  if (isExpired(epoch, ctx.now)) {
    const coins = pay.coins.map((coin) => ({ coin, reason: 'expired' as RefusalReason }));
    return {
      kind: 'refused',
      epoch,
      retry,
      failure: {
        error: 'expired',
        detail: `epoch ${epoch.id} expired at ${epoch.expiresAt}`,
        refused: coins.map((c) => ({ coinId: coinId(c.coin), reason: c.reason })),
        coins,
        k: epoch.k,
      },
    };
  }
  if (pay.coins.length !== ctx.price)
    return { ...refuse('wrong-amount', `the price is ${ctx.price} coins, the payment holds ${pay.coins.length}`, [], epoch), retry };

  const verify = ctx.epochs.verifier(epoch);
  const bad: { coin: Uint8Array; reason: RefusalReason }[] = [];
  const good: PaymentCoin[] = [];
  for (const coin of pay.coins) {
    const check = verify(coin, pay.userId);
    if (check.ok) good.push({ id: check.id, coin });
    else bad.push({ coin, reason: check.reason });
  }
  if (bad.length) {
    return {
      kind: 'refused',
      epoch,
      failure: {
        error: bad[0]!.reason,
        refused: bad.map((b) => ({ coinId: coinId(b.coin), reason: b.reason })),
        coins: bad,
        k: epoch.k,
      },
    };
  }
  return { kind: 'valid', epoch, userId: pay.userId, coins: good };
};

/** What a `micromint` payment carries: its user id and the ids of the coins it lists. */
export function micromintCarried(payment: PaymentPayload): CarriedPayment {
  const { userId, coins } = payment.payload;
  // The payer is only echoed back (base64 JSON), so any short string will do.
  return { ...(typeof userId === 'string' && userId.length > 0 && userId.length <= 128 ? { payer: userId } : {}), ids: looseCoinIds(coins) };
}

/** Payment schemes this vendor takes, by name; a second scheme (e.g. `payword`) is added here. */
export const SCHEMES: Readonly<Record<string, PaymentScheme>> = { micromint: { check: checkMicromintPayment, carried: micromintCarried } };
