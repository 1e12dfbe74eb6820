/**
 * Typed builders and readers for each MicroMint-1.0 message, on top of the text codec in message.ts.
 * Readers validate what the text codec cannot: numbers, sizes against the epoch, coin counts.
 * @module
 */
import { abytes, aint } from './assert.ts';
import { concat, fromHex, toHex } from './bytes.ts';
import { coinBalls, coinBytes } from './coin.ts';
import { decodeMessage, encodeMessage, intHeader, MAX_MESSAGE_BYTES, MessageError, type MicroMintMessage } from './message.ts';
import { BALL_BYTES, validateParams, type EpochParams } from './params.ts';
import { isRefusalReason, type RefusalReason } from './reasons.ts';
import { MAX_COINS_PER_PAYMENT } from './scheme.ts';
import { decodeSets, encodeSets, type SuperbinSet } from './superbin-set.ts';

function chunks(data: Uint8Array, size: number, count: number, what: string): Uint8Array[] {
  if (data.length !== size * count) throw new MessageError(`${what}: data holds ${data.length} bytes, expected ${size * count}`);
  return Array.from({ length: count }, (_, i) => data.slice(i * size, (i + 1) * size));
}

/** Params header text, e.g. `t=6 u=10 v=8 k=4 fixed=0`. */
export const paramsHeader = (p: EpochParams): string => `t=${p.t} u=${p.u} v=${p.v} k=${p.k} fixed=${p.fixed}`;

function readEpoch(msg: MicroMintMessage): EpochParams {
  const m = /^t=(\d+) u=(\d+) v=(\d+) k=(\d+) fixed=(\d+)$/.exec(msg.headers.Params ?? '');
  if (!m) throw new MessageError('Params must read "t=.. u=.. v=.. k=.. fixed=.."');
  try {
    return validateParams({
      id: msg.headers.Epoch!,
      key: fromHex(msg.headers['Epoch-Key']!),
      t: Number(m[1]),
      u: Number(m[2]),
      v: Number(m[3]),
      k: Number(m[4]),
      fixed: Number(m[5]),
      expiresAt: msg.headers.Expires!,
    });
  } catch (e) {
    throw new MessageError(`epoch parameters: ${(e as Error).message}`);
  }
}

/** Funds-Withdrawn: the broker hands a user the superbin sets it bought. */
export interface FundsWithdrawn {
  broker: string;
  withdrawalId: string;
  userId: string;
  epoch: EpochParams;
  sets: SuperbinSet[];
  /** Balls in the first superbins: the most coins the sets can ever pay. */
  coins: number;
}

/** Encodes a Funds-Withdrawn message. */
export function encodeFundsWithdrawn(f: FundsWithdrawn): string {
  return encodeMessage({
    type: 'Funds-Withdrawn',
    headers: {
      Broker: f.broker,
      'Withdrawal-Id': f.withdrawalId,
      'User-Id': f.userId,
      Epoch: f.epoch.id,
      'Epoch-Key': toHex(f.epoch.key),
      Params: paramsHeader(f.epoch),
      Expires: f.epoch.expiresAt,
      Sets: String(f.sets.length),
      Coins: String(f.coins),
    },
    data: encodeSets(f.epoch, f.sets),
  });
}

/** Decodes a Funds-Withdrawn message and checks every ball it carries against the epoch's hash. */
export function decodeFundsWithdrawn(text: string): FundsWithdrawn {
  const msg = decodeMessage(text, 'Funds-Withdrawn');
  const epoch = readEpoch(msg);
  const userId = msg.headers['User-Id']!;
  let sets: SuperbinSet[];
  try {
    sets = decodeSets(epoch, userId, msg.data!);
  } catch (e) {
    throw new MessageError(`Funds-Withdrawn: ${(e as Error).message}`);
  }
  if (sets.length !== intHeader(msg, 'Sets', 1)) throw new MessageError('Sets does not match the data');
  const coins = sets.reduce((n, s) => n + (s.balls[0]?.size ?? 0), 0);
  if (coins !== intHeader(msg, 'Coins')) throw new MessageError('Coins does not match the data');
  return { broker: msg.headers.Broker!, withdrawalId: msg.headers['Withdrawal-Id']!, userId, epoch, sets, coins };
}

/** Request-Payment: a vendor's price for a URL. */
export interface RequestPayment {
  url: string;
  price: number;
  vendorId: string;
  broker: string;
  epoch: string;
  description?: string;
}

/** Encodes a Request-Payment message. */
export function encodeRequestPayment(r: RequestPayment): string {
  aint(r.price, 1, MAX_COINS_PER_PAYMENT, 'price');
  return encodeMessage({
    type: 'Request-Payment',
    headers: {
      Url: r.url,
      Price: String(r.price),
      'Vendor-Id': r.vendorId,
      Broker: r.broker,
      Epoch: r.epoch,
      ...(r.description ? { Description: r.description } : {}),
    },
  });
}

/** Decodes a Request-Payment message. */
export function decodeRequestPayment(text: string): RequestPayment {
  const msg = decodeMessage(text, 'Request-Payment');
  const h = msg.headers;
  return {
    url: h.Url!,
    price: intHeader(msg, 'Price', 1, MAX_COINS_PER_PAYMENT),
    vendorId: h['Vendor-Id']!,
    broker: h.Broker!,
    epoch: h.Epoch!,
    ...(h.Description ? { description: h.Description } : {}),
  };
}

/** Payment: coins for one URL at one vendor. */
export interface Payment {
  url: string;
  vendorId: string;
  userId: string;
  epoch: string;
  coins: Uint8Array[];
}

/** Encodes a Payment message; every coin must be k balls of epoch `p`. */
export function encodePayment(p: Pick<EpochParams, 'k'>, pay: Payment): string {
  for (const c of pay.coins) coinBalls(p, c);
  return encodeMessage({
    type: 'Payment',
    headers: { Url: pay.url, 'Vendor-Id': pay.vendorId, 'User-Id': pay.userId, Epoch: pay.epoch, Coins: String(pay.coins.length) },
    data: concat(...pay.coins),
  });
}

/** Decodes a Payment message whose coins are k balls each. */
export function decodePayment(p: Pick<EpochParams, 'k'>, text: string): Payment {
  const msg = decodeMessage(text, 'Payment');
  return readPayment(msg, coinBytes(p));
}

/**
 * Decodes a Payment message before its epoch is known (a vendor learns the epoch from the message
 * itself): each coin is Data-Size / Coins bytes, which must be a whole number k of balls, 2 to 8.
 * The caller checks k against the epoch. `maxBytes` bounds the text (a vendor passes its body limit).
 * @example
 * const pay = decodePaymentMessage(body, MAX_PAYMENT_BODY_BYTES); // { url, vendorId, userId, epoch, coins, k }
 */
export function decodePaymentMessage(text: string, maxBytes = MAX_MESSAGE_BYTES): Payment & { k: number } {
  const msg = decodeMessage(text, 'Payment', maxBytes);
  const count = intHeader(msg, 'Coins', 1, MAX_COINS_PER_PAYMENT);
  const size = msg.data!.length / count;
  const k = size / BALL_BYTES;
  if (!Number.isInteger(k) || k < 2 || k > 8)
    throw new MessageError(`Payment: ${msg.data!.length} bytes of data are not ${count} coins of 2 to 8 balls of ${BALL_BYTES} bytes`);
  return { ...readPayment(msg, size), k };
}

function readPayment(msg: MicroMintMessage, coinSize: number): Payment {
  const count = intHeader(msg, 'Coins', 1, MAX_COINS_PER_PAYMENT);
  const h = msg.headers;
  return {
    url: h.Url!,
    vendorId: h['Vendor-Id']!,
    userId: h['User-Id']!,
    epoch: h.Epoch!,
    coins: chunks(msg.data!, coinSize, count, 'Payment'),
  };
}

/** A coin a vendor did not accept, and why. */
export interface RefusedCoin {
  coin: Uint8Array;
  reason: RefusalReason;
}

/** Invalid-Payment: the vendor refused a payment; the refused coins go back to the wallet. */
export interface InvalidPayment {
  url: string;
  /** The reason for the whole payment (a refusal reason or e.g. `wrong-amount`). */
  reason: string;
  detail?: string;
  refused: RefusedCoin[];
}

/** Encodes an Invalid-Payment message. */
export function encodeInvalidPayment(p: Pick<EpochParams, 'k'>, inv: InvalidPayment): string {
  for (const r of inv.refused) abytes(r.coin, coinBytes(p), 'refused coin');
  return encodeMessage({
    type: 'Invalid-Payment',
    headers: {
      Url: inv.url,
      Reason: inv.reason,
      Coins: String(inv.refused.length),
      ...(inv.refused.length ? { Reasons: inv.refused.map((r) => r.reason).join(',') } : {}),
      ...(inv.detail ? { Detail: inv.detail } : {}),
    },
    ...(inv.refused.length ? { data: concat(...inv.refused.map((r) => r.coin)) } : {}),
  });
}

/** Decodes an Invalid-Payment message. */
export function decodeInvalidPayment(p: Pick<EpochParams, 'k'>, text: string): InvalidPayment {
  const msg = decodeMessage(text, 'Invalid-Payment');
  const count = intHeader(msg, 'Coins', 0, MAX_COINS_PER_PAYMENT);
  const reasons = count ? (msg.headers.Reasons ?? '').split(',') : [];
  if (reasons.length !== count || !reasons.every(isRefusalReason)) throw new MessageError('Reasons must name one refusal reason per coin');
  const coins = count ? chunks(msg.data ?? new Uint8Array(), coinBytes(p), count, 'Invalid-Payment') : [];
  if (!count && msg.data?.length) throw new MessageError('Invalid-Payment: data without coins');
  return {
    url: msg.headers.Url!,
    reason: msg.headers.Reason!,
    ...(msg.headers.Detail ? { detail: msg.headers.Detail } : {}),
    refused: coins.map((coin, i) => ({ coin, reason: reasons[i] as RefusalReason })),
  };
}

/** Send-Expired: the broker is ready to take back unspent balls of an epoch. */
export interface SendExpired {
  broker: string;
  userId: string;
  epoch: string;
  returnUrl: string;
}

/** Encodes a Send-Expired message. */
export const encodeSendExpired = (s: SendExpired): string =>
  encodeMessage({
    type: 'Send-Expired',
    headers: { Broker: s.broker, 'User-Id': s.userId, Epoch: s.epoch, 'Return-Url': s.returnUrl },
  });

/** Decodes a Send-Expired message. */
export function decodeSendExpired(text: string): SendExpired {
  const h = decodeMessage(text, 'Send-Expired').headers;
  return { broker: h.Broker!, userId: h['User-Id']!, epoch: h.Epoch!, returnUrl: h['Return-Url']! };
}

/** Request-Credit: unspent first-superbin balls returned for credit. */
export interface RequestCredit {
  broker: string;
  userId: string;
  epoch: string;
  balls: Uint8Array[];
}

/** Encodes a Request-Credit message. */
export function encodeRequestCredit(r: RequestCredit): string {
  for (const b of r.balls) abytes(b, BALL_BYTES, 'ball');
  return encodeMessage({
    type: 'Request-Credit',
    headers: { Broker: r.broker, 'User-Id': r.userId, Epoch: r.epoch, Balls: String(r.balls.length) },
    data: concat(...r.balls),
  });
}

/** Decodes a Request-Credit message. */
export function decodeRequestCredit(text: string): RequestCredit {
  const msg = decodeMessage(text, 'Request-Credit');
  const count = intHeader(msg, 'Balls', 1, 1_000_000);
  const h = msg.headers;
  return { broker: h.Broker!, userId: h['User-Id']!, epoch: h.Epoch!, balls: chunks(msg.data!, BALL_BYTES, count, 'Request-Credit') };
}
