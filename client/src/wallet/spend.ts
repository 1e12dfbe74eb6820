/**
 * Paying with coins: picking `price` coins for the vendor, marking their first balls spent and
 * writing the payment exactly as it will be sent. Runs inside the caller's IMMEDIATE transaction
 * (see `pay.ts`), so the coins are spent before the request can leave and no other request, in
 * this process or another, can pick them.
 * @module
 */
import { randomUUID } from 'node:crypto';
import {
  encodeHeader,
  encodePayment,
  formatMoney,
  MAX_PAYMENT_HEADER_BYTES,
  MICROMINT_MIME,
  MICROMINT_SCHEME,
  micromintPayload,
  X402_VERSION,
  type PaymentRequirements,
} from '@micromint/shared';
import { InsufficientFundsError, UnpayableError } from '../errors.ts';
import { coinsForVendor, spendableEpoch } from './coins.ts';
import type { WalletDb } from './db.ts';
import { addHistory } from './history.ts';
import { getMeta } from './meta.ts';
import { insertPayment, type PaymentRecord } from './payments.ts';

/** What to pay with coins: the vendor's micromint terms for one request. */
export interface CoinOrder {
  /** The URL requested. */
  url: string;
  /** The request's method, upper case. */
  method: string;
  /** The challenge's `resource.url`: what the payment names. */
  resourceUrl: string;
  /** The `accepts` entry paid, repeated as `accepted`. */
  requirement: PaymentRequirements;
  vendorId: string;
  broker: string;
  epoch: string;
  /** Coins (= mills). */
  price: number;
  now: number;
  /** The payment can travel in a header only (an x402 client sends no body payments). */
  headerOnly?: boolean;
}

/** Coins the wallet could pay `vendorId` in the epoch, counting at most `limit`. Reads only. */
export function makeableCoins(db: WalletDb, o: { epoch: string; broker: string; vendorId: string; now: number }, limit = Infinity): number {
  const params = spendableEpoch(db, o.epoch, o.broker, o.now);
  const userId = getMeta(db, 'userId');
  return params && userId ? coinsForVendor(db, params, userId, o.vendorId, limit).length : 0;
}

/**
 * Takes `price` coins and writes the pending payment (inside the caller's transaction). A payment
 * whose header would be longer than vendors take travels as the body of a POST (a Payment
 * message), which exists only for GET and HEAD.
 * @throws InsufficientFundsError or UnpayableError, having written nothing.
 */
export function spendCoinsTx(db: WalletDb, o: CoinOrder): PaymentRecord {
  const params = spendableEpoch(db, o.epoch, o.broker, o.now);
  const userId = getMeta(db, 'userId');
  const coins = params && userId ? coinsForVendor(db, params, userId, o.vendorId, o.price) : [];
  if (!params || !userId || coins.length < o.price)
    throw new InsufficientFundsError(o.price, coins.length, params ? undefined : `no coins of epoch ${o.epoch} of ${o.broker}`);
  const header = encodeHeader({
    x402Version: X402_VERSION,
    resource: { url: o.resourceUrl },
    accepted: o.requirement,
    payload: {
      ...micromintPayload(
        o.epoch,
        userId,
        coins.map((c) => c.coin),
      ),
    },
  });
  let body: PaymentRecord['body'];
  if (header.length > MAX_PAYMENT_HEADER_BYTES) {
    if (o.headerOnly || (o.method !== 'GET' && o.method !== 'HEAD'))
      throw new UnpayableError(
        `a payment of ${o.price} coins is too large for a header, and ${o.headerOnly ? 'this client sends none in a body' : 'only a GET can be paid in a body'}`,
      );
    const message = { url: o.resourceUrl, vendorId: o.vendorId, userId, epoch: o.epoch, coins: coins.map((c) => c.coin) };
    body = { contentType: MICROMINT_MIME, text: encodePayment(params, message) };
  }
  const payment: PaymentRecord = {
    id: randomUUID(),
    url: o.url,
    method: o.method,
    vendorId: o.vendorId,
    host: new URL(o.url).host,
    broker: o.broker,
    scheme: MICROMINT_SCHEME,
    epoch: o.epoch,
    price: o.price,
    spent: o.price,
    coinIds: coins.map((c) => c.id),
    header,
    ...(body ? { body } : {}),
    state: 'pending',
    reasons: [],
    attempts: 0,
    createdAt: o.now,
    updatedAt: o.now,
  };
  const mark = db.prepare(`UPDATE balls SET state = 'spent', payment_id = ? WHERE epoch = ? AND x = ? AND state = 'unspent'`);
  for (const c of coins)
    if (mark.run(payment.id, o.epoch, c.id).changes !== 1) throw new Error(`coin ${c.id} was not unspent inside the transaction`);
  insertPayment(db, payment);
  addHistory(db, { at: o.now, kind: 'spend', mills: -o.price, detail: `${formatMoney(o.price)} in coins for ${o.url}`, ref: payment.id });
  return payment;
}
