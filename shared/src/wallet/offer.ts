/**
 * Reading one entry of a 402's `accepts` into what a wallet weighs (docs/protocol.md 9 and 12.6):
 * its price, what paying it costs in mills, whom it pays and through which broker, and where a
 * wallet may pay at all (https, or http to this machine). The same money for both schemes: a coin
 * is a mill, a link is worth its `linkValue` in mills.
 * @module
 */
import { aint } from '../assert.ts';
import { micromintNetwork } from '../network.ts';
import { PAYWORD_SCHEME, readPaywordRequirements } from '../payword/scheme.ts';
import { MAX_COINS_PER_PAYMENT, MICROMINT_SCHEME, readMicromintRequirements } from '../scheme.ts';
import type { PaymentRequirements } from '../x402.ts';

/** An offer's terms as a wallet weighs them. Money is in mills. */
export interface OfferQuote {
  scheme: typeof MICROMINT_SCHEME | typeof PAYWORD_SCHEME;
  /** The offer's `amount`: coins (micromint) or mills (payword). */
  price: number;
  /** What paying costs, in mills (payword: units * link value, at least the price): what caps and prompts compare. */
  mills: number;
  /** Who is paid (`extra.vendorId`, which is the offer's `payTo`). */
  vendorId: string;
  /** The broker's URL (`extra.broker`). */
  broker: string;
  /** micromint: the epoch whose coins pay. */
  epoch?: string;
  /** payword: the vendor's X25519 key (base64, as offered), mills per link and links this price costs. */
  link?: { vendorKey: string; value: number; units: number };
}

/** The largest price a payword offer may name, in mills: the most links a chain has at the highest link value. */
export const MAX_LINK_PRICE = 100_000 * 1_000_000;

/** How strictly an offer is read. */
export interface QuoteOptions {
  /**
   * Refuse a micromint offer whose `network` is not the network id of its `extra.broker` (the spec's
   * SHOULD; a payword offer is always refused then, its MUST).
   */
  checkCoinNetwork?: boolean;
}

function assertNetwork(requirement: PaymentRequirements, broker: string): void {
  if (requirement.network !== micromintNetwork(broker)) throw new RangeError('network is not the broker of extra.broker');
}

function assertVendor(requirement: PaymentRequirements, vendorId: string): void {
  if (vendorId !== requirement.payTo) throw new RangeError('extra.vendorId differs from payTo');
}

/**
 * Reads a micromint offer: its fields (shared's reader), a price of 1 to
 * `MAX_COINS_PER_PAYMENT` coins, `extra.vendorId` equal to `payTo`.
 * @throws PaymentHeaderError or RangeError when the offer cannot be paid.
 * @example
 * quoteMicromint(micromintRequirements({ price: 3, vendorId, broker, epoch: 'e1' })); // { scheme: 'micromint', price: 3, mills: 3, ... }
 */
export function quoteMicromint(requirement: PaymentRequirements, options: QuoteOptions = {}): OfferQuote {
  const r = readMicromintRequirements(requirement);
  aint(r.price, 1, MAX_COINS_PER_PAYMENT, 'price');
  assertVendor(requirement, r.vendorId);
  if (options.checkCoinNetwork) assertNetwork(requirement, r.broker);
  return { scheme: MICROMINT_SCHEME, price: r.price, mills: r.price, vendorId: r.vendorId, broker: r.broker, epoch: r.epoch };
}

/**
 * Reads a payword offer: its fields (shared's reader), a whole price of at most
 * {@link MAX_LINK_PRICE} mills, `extra.vendorId` equal to `payTo`, and the network of `extra.broker`.
 * @throws PaymentHeaderError or RangeError when the offer cannot be paid.
 * @example
 * quotePayword(paywordRequirements({ price: 3, vendorId, broker, vendorKey, linkValue: 2 })).mills; // 4: two links of 2 mills
 */
export function quotePayword(requirement: PaymentRequirements): OfferQuote {
  const r = readPaywordRequirements(requirement);
  aint(r.price, 1, MAX_LINK_PRICE, 'price');
  assertVendor(requirement, r.vendorId);
  assertNetwork(requirement, r.broker);
  return {
    scheme: PAYWORD_SCHEME,
    price: r.price,
    mills: r.units * r.linkValue,
    vendorId: r.vendorId,
    broker: r.broker,
    link: { vendorKey: r.vendorKey, value: r.linkValue, units: r.units },
  };
}

/**
 * True for a host a wallet may pay over plain http: `localhost`, `*.localhost`, 127.0.0.0/8, `::1`.
 * @example
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('127.0.0.1.example.com'); // false
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * True when a wallet may pay for `url` at all: https anywhere, http only to this machine.
 * @example
 * isPayableUrl('http://example.com/a'); // false
 */
export function isPayableUrl(url: string | URL): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
  } catch {
    return false;
  }
}
