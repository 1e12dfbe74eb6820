/**
 * The `micromint` scheme, vendor side (the thesis's `check-micromint`): the payment must be for
 * this URL, this vendor and this broker, in an epoch we know that has not expired, carry exactly
 * the price in coins, and every coin must verify locally (k hashes each, no broker call).
 * Recording (and the double-spend check) is one store transaction (`VendorStore.recordPayment`).
 * @module
 */
import {
  BALL_BYTES,
  coinId,
  fromBase64,
  isExpired,
  MAX_COINS_PER_PAYMENT,
  MICROMINT_SCHEME,
  micromintRequirements,
  PaymentHeaderError,
  readMicromintPayload,
  readMicromintRequirements,
  type EpochParams,
  type PaymentPayload,
  type RefusalReason,
} from '@micromint/shared';
import { BrokerUnavailableError, NoCurrentEpochError } from '../errors.ts';
import type { EpochSource } from '../epochs.ts';
import { newPaymentId, type PaymentCoin } from '../store.ts';
import type { Offer, Paid, PaymentFailure, Recorded, Refused, SaleTerms, SchemeCheck, SchemeDeps, VendorScheme } from './scheme.ts';

/** A coin refused in a payment, as listed in `extensions.micromint.refused`. */
export interface RefusedCoinInfo {
  coinId: string;
  reason: string;
}

/** A verified micromint payment. */
export interface MicromintValid {
  epoch: EpochParams;
  userId: string;
  coins: PaymentCoin[];
}

/** The coins of a refused payment, to look up as a possibly recorded earlier payment. */
export interface RetryCandidate {
  epoch: string;
  userId: string;
  coins: PaymentCoin[];
  /** The epoch, when this process knows it. */
  known?: EpochParams;
}

/** The `PAYMENT-REQUIRED` header can only carry so much: longer refusal lists are cut there (the JSON body has all). */
const MAX_REFUSED_IN_HEADER = 100;

/** A micromint refusal: `extensions.micromint.refused` lists the coins at fault (cut at 100 in the header). */
export function coinFailure(o: {
  error: string;
  detail?: string;
  refused?: RefusedCoinInfo[];
  coins?: { coin: Uint8Array; reason: RefusalReason }[];
  k?: number;
  epoch?: EpochParams;
}): PaymentFailure {
  const refused = o.refused ?? [];
  const entry = (list: RefusedCoinInfo[], detail?: string) => ({ micromint: { refused: list, ...(detail ? { detail } : {}) } });
  return {
    error: o.error,
    ...(o.detail ? { detail: o.detail } : {}),
    extensions: entry(refused, o.detail),
    ...(refused.length > MAX_REFUSED_IN_HEADER
      ? { headerExtensions: entry(refused.slice(0, MAX_REFUSED_IN_HEADER), 'refused list truncated') }
      : {}),
    ...(o.coins ? { coins: o.coins } : {}),
    ...(o.k !== undefined ? { k: o.k } : {}),
    ...(o.epoch ? { epoch: o.epoch } : {}),
  };
}

type Check = SchemeCheck<MicromintValid, RetryCandidate>;

const refuse = (
  error: string,
  detail?: string,
  refused: RefusedCoinInfo[] = [],
  epoch?: EpochParams,
): Extract<Check, { kind: 'refused' }> => ({
  kind: 'refused',
  refused: { failure: coinFailure({ error, ...(detail ? { detail } : {}), refused, ...(epoch ? { epoch } : {}) }) },
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

/** Checks a `micromint` payment for `sale` (section 6's order); records nothing. */
export async function checkMicromintPayment(
  payment: PaymentPayload,
  sale: SaleTerms,
  ctx: { vendorId: string; network: string; epochs: EpochSource },
): Promise<Check> {
  try {
    readMicromintRequirements(payment.accepted);
  } catch (e) {
    return { kind: 'malformed', message: (e as Error).message };
  }
  const extra = payment.accepted.extra as { vendorId: string };
  const epochId = payment.payload.epoch;
  if (typeof epochId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(epochId))
    return { kind: 'malformed', message: 'payload.epoch must be an epoch id' };

  if (payment.resource?.url !== undefined && normalizeUrl(payment.resource.url) !== sale.url)
    return refuse('wrong-url', `this payment is for ${payment.resource.url.slice(0, 300)}, not ${sale.url}`);
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
  const retry: RetryCandidate = {
    epoch: epoch.id,
    userId: pay.userId,
    coins: pay.coins.map((coin) => ({ id: coinId(coin), coin })),
    known: epoch,
  };
  if (isExpired(epoch, sale.now)) {
    const coins = pay.coins.map((coin) => ({ coin, reason: 'expired' as RefusalReason }));
    const refused = coins.map((c) => ({ coinId: coinId(c.coin), reason: c.reason }));
    const failure = coinFailure({
      error: 'expired',
      detail: `epoch ${epoch.id} expired at ${epoch.expiresAt}`,
      refused,
      coins,
      k: epoch.k,
      epoch,
    });
    return { kind: 'refused', refused: { failure }, retry };
  }
  if (pay.coins.length !== sale.price)
    return { ...refuse('wrong-amount', `the price is ${sale.price} coins, the payment holds ${pay.coins.length}`, [], epoch), retry };

  const verify = ctx.epochs.verifier(epoch);
  const bad: { coin: Uint8Array; reason: RefusalReason }[] = [];
  const good: PaymentCoin[] = [];
  for (const coin of pay.coins) {
    const check = verify(coin, pay.userId);
    if (check.ok) good.push({ id: check.id, coin });
    else bad.push({ coin, reason: check.reason });
  }
  if (bad.length) {
    const refused = bad.map((b) => ({ coinId: coinId(b.coin), reason: b.reason }));
    return { kind: 'refused', refused: { failure: coinFailure({ error: bad[0]!.reason, refused, coins: bad, k: epoch.k, epoch }) } };
  }
  return { kind: 'valid', valid: { epoch, userId: pay.userId, coins: good } };
}

/** What a `micromint` payment carries: its user id and the ids of the coins it lists. */
export function micromintCarried(payment: PaymentPayload): { payer?: string; ids: string[] } {
  const { userId, coins } = payment.payload;
  // The payer is only echoed back (base64 JSON), so any short string will do.
  return {
    ...(typeof userId === 'string' && userId.length > 0 && userId.length <= 128 ? { payer: userId } : {}),
    ids: looseCoinIds(coins),
  };
}

type Coins = { paymentId: string; paidAt: string; userId: string; coins: PaymentCoin[] };

const paidOf = (p: Coins, replay: boolean): Paid => ({
  scheme: MICROMINT_SCHEME,
  paymentId: p.paymentId,
  payer: p.userId,
  paidAt: p.paidAt,
  replay,
  recordedHere: !replay,
  coins: p.coins.map((c) => c.id),
  summary: `${p.coins.length} coins`,
});

/** The `micromint` scheme module, on the vendor's epochs (fetched from the broker or given). */
export class MicromintScheme implements VendorScheme<MicromintValid, RetryCandidate> {
  readonly scheme = MICROMINT_SCHEME;

  constructor(private readonly deps: SchemeDeps & { epochs: EpochSource }) {}

  /** The offer in the current epoch; a refused payment's own epoch when the broker has no newer one. */
  async accepts(sale: SaleTerms, failure?: PaymentFailure): Promise<Offer> {
    const { cfg, epochs } = this.deps;
    let epoch: EpochParams;
    try {
      epoch = await epochs.current(sale.now);
    } catch (e) {
      if (failure?.epoch && !isExpired(failure.epoch, sale.now)) epoch = failure.epoch;
      else if (e instanceof BrokerUnavailableError || e instanceof NoCurrentEpochError) return { ok: false, error: e };
      else throw e;
    }
    const requirements = micromintRequirements({
      price: sale.price,
      vendorId: cfg.vendorId,
      broker: cfg.broker,
      epoch: epoch.id,
      maxTimeoutSeconds: cfg.maxTimeoutSeconds,
    });
    return { ok: true, requirements, epoch };
  }

  check(payment: PaymentPayload, sale: SaleTerms): Promise<Check> {
    return checkMicromintPayment(payment, sale, {
      vendorId: this.deps.cfg.vendorId,
      network: this.deps.cfg.network,
      epochs: this.deps.epochs,
    });
  }

  /** In one store transaction: new, a replay of the same coins, or a double spend (logged by the store). */
  async record(valid: MicromintValid, sale: SaleTerms): Promise<Recorded> {
    const { store, guard } = this.deps;
    const paidAt = new Date(sale.now).toISOString();
    const outcome = await guard.run('recordPayment', () =>
      store.recordPayment({
        id: newPaymentId(),
        epoch: valid.epoch.id,
        userId: valid.userId,
        method: sale.method,
        url: sale.url,
        price: sale.price,
        paidAt,
        coins: valid.coins,
      }),
    );
    if (outcome.status === 'recorded')
      return {
        status: 'recorded',
        paid: paidOf({ paymentId: outcome.paymentId, paidAt, userId: valid.userId, coins: valid.coins }, false),
      };
    if (outcome.status === 'replay')
      return this.replayOf(sale, { ...outcome, userId: valid.userId, coins: valid.coins }, valid.epoch.id, valid.epoch);
    const spent = new Set(outcome.coinIds);
    const unique = [...new Map(valid.coins.filter((c) => spent.has(c.id)).map((c) => [c.id, c])).values()];
    const failure = coinFailure({
      error: 'already-spent',
      refused: unique.map((c) => ({ coinId: c.id, reason: 'already-spent' })),
      coins: unique.map((c) => ({ coin: c.coin, reason: 'already-spent' as RefusalReason })),
      k: valid.epoch.k,
      epoch: valid.epoch,
    });
    const warning = `micromint: refused a double spend by ${valid.userId} for ${sale.url}: coins ${outcome.coinIds.join(', ')}`;
    return { status: 'refused', refused: { failure, warning } };
  }

  async findRecorded(retry: RetryCandidate, sale: SaleTerms): Promise<Recorded | undefined> {
    const { store, guard } = this.deps;
    if (!store.findReplay) return undefined;
    const prior = await guard.run('findReplay', () =>
      store.findReplay!({ epoch: retry.epoch, userId: retry.userId, method: sale.method, url: sale.url, coins: retry.coins }),
    );
    return prior ? this.replayOf(sale, { ...prior, userId: retry.userId, coins: retry.coins }, retry.epoch, retry.known) : undefined;
  }

  /** A recorded payment sent again: served within the replay window, else refused already-spent (and logged). */
  private replayOf(sale: SaleTerms, p: Coins, epochId: string, epoch?: EpochParams): Recorded {
    const coinIds = p.coins.map((c) => c.id);
    const detail = `payment ${p.paymentId} was made at ${p.paidAt}; the same payment is served again for ${this.deps.cfg.replayWindowSeconds} s only`;
    const refused = coinIds.map((id) => ({ coinId: id, reason: 'already-spent' }));
    const coins = p.coins.map((c) => ({ coin: c.coin, reason: 'already-spent' as RefusalReason }));
    const k = epoch?.k ?? p.coins[0]!.coin.length / BALL_BYTES;
    const late: Refused = {
      failure: coinFailure({ error: 'already-spent', detail, refused, coins, k, ...(epoch ? { epoch } : {}) }),
      warning: `micromint: refused a replay of ${p.paymentId} by ${p.userId} for ${sale.url} after the replay window (paid at ${p.paidAt})`,
      log: {
        at: new Date(sale.now).toISOString(),
        epoch: epochId,
        userId: p.userId,
        method: sale.method,
        url: sale.url,
        reason: 'already-spent',
        coinIds,
        detail,
      },
    };
    return { status: 'replay', paid: paidOf(p, true), late };
  }

  async release(paid: Paid): Promise<boolean> {
    const { store, guard } = this.deps;
    if (!store.unrecordPayment) return false;
    return guard.run('unrecordPayment', () => store.unrecordPayment!(paid.paymentId));
  }

  receipt(paid: Paid, released: boolean): Record<string, unknown> {
    return released ? { coins: [], released: paid.coins } : { coins: paid.coins };
  }

  unclaimed(payment: PaymentPayload): { payer?: string; extension: Record<string, unknown> } {
    const { payer, ids } = micromintCarried(payment);
    return { ...(payer ? { payer } : {}), extension: { coins: [], released: ids } };
  }
}
