/**
 * The 402 answer (the thesis's `micromint-error402`) in the x402 v2 header convention:
 * `PAYMENT-REQUIRED` holds the challenge, the body is negotiated (HTML paywall, the
 * Request-Payment or Invalid-Payment message, or the challenge as JSON).
 * @module
 */
import type { Request, Response } from 'express';
import {
  encodeHeader,
  encodeInvalidPayment,
  encodeRequestPayment,
  MICROMINT_MIME,
  micromintRequirements,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  reasonText,
  X402_VERSION,
  type EpochParams,
  type PaymentRequired,
  type RefusalReason,
} from '@micromint/shared';
import { coinsToDollars, type PaywallInfo, type PaywallRenderer } from './paywall.ts';

/** A coin refused in a payment, as listed in `extensions.micromint.refused`. */
export interface RefusedCoinInfo {
  coinId: string;
  reason: string;
}

/** Why a payment attempt failed, for the repeated 402. */
export interface PaymentFailure {
  /** Reason code, e.g. `already-spent`, `wrong-amount`, `unknown-epoch`. */
  error: string;
  detail?: string;
  refused: RefusedCoinInfo[];
  /** The refused coins with their bytes, when they are coins of a known epoch (for Invalid-Payment). */
  coins?: { coin: Uint8Array; reason: RefusalReason }[];
  /** `k` of the coins' epoch, needed to encode Invalid-Payment with coins. */
  k?: number;
}

/** What the challenge is for. */
export interface ChallengeParams {
  url: string;
  price: number;
  epoch: EpochParams;
  description?: string;
}

/** Vendor settings the 402 answer needs. */
export interface ChallengeSettings {
  vendorId: string;
  broker: string;
  maxTimeoutSeconds: number;
  paywall: PaywallRenderer;
}

/** The `PAYMENT-REQUIRED` header can only carry so much: longer refusal lists are cut there (the JSON body has all). */
const MAX_REFUSED_IN_HEADER = 100;

/** Builds the PaymentRequired object of a challenge (optionally after a failed payment). */
export function paymentRequired(s: ChallengeSettings, c: ChallengeParams, failure?: PaymentFailure): PaymentRequired {
  return {
    x402Version: X402_VERSION,
    ...(failure ? { error: failure.error } : {}),
    resource: { url: c.url, ...(c.description ? { description: c.description } : {}) },
    accepts: [
      micromintRequirements({
        price: c.price,
        vendorId: s.vendorId,
        broker: s.broker,
        epoch: c.epoch.id,
        maxTimeoutSeconds: s.maxTimeoutSeconds,
      }),
    ],
    ...(failure
      ? { extensions: { micromint: { refused: failure.refused, ...(failure.detail ? { detail: failure.detail } : {}) } } }
      : {}),
  };
}

/** CORS headers every MicroMint answer carries, so page scripts can read the payment headers. */
export function setCorsHeaders(res: Response): void {
  if (!res.getHeader('Access-Control-Allow-Origin')) res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', `${PAYMENT_REQUIRED_HEADER}, ${PAYMENT_RESPONSE_HEADER}`);
}

/** Answers a CORS preflight for a paid URL: the payment header may be sent. */
export function answerPreflight(req: Request, res: Response): void {
  setCorsHeaders(res);
  const method = req.headers['access-control-request-method'];
  res.setHeader('Access-Control-Allow-Methods', typeof method === 'string' && /^[A-Za-z]{1,16}$/.test(method) ? method.toUpperCase() : 'GET, HEAD');
  res.setHeader('Access-Control-Allow-Headers', `${PAYMENT_SIGNATURE_HEADER}, Content-Type`);
  res.setHeader('Access-Control-Max-Age', '600');
  res.setHeader('Cache-Control', 'no-store');
  res.status(204).end();
}

/** Printable ASCII for a message header (MicroMint-1.0 messages are 7-bit). */
const asciiHeader = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);

/** Sends a 402 with the challenge header and a body chosen by the Accept header. */
export function sendPaymentRequired(
  req: Request,
  res: Response,
  s: ChallengeSettings,
  c: ChallengeParams,
  failure?: PaymentFailure,
): void {
  const body = paymentRequired(s, c, failure);
  const header =
    failure && failure.refused.length > MAX_REFUSED_IN_HEADER
      ? paymentRequired(s, c, { ...failure, refused: failure.refused.slice(0, MAX_REFUSED_IN_HEADER), detail: 'refused list truncated' })
      : body;
  res.status(402);
  res.setHeader(PAYMENT_REQUIRED_HEADER, encodeHeader(header));
  res.setHeader('Cache-Control', 'no-store');
  setCorsHeaders(res);
  res.setHeader('Access-Control-Allow-Headers', PAYMENT_SIGNATURE_HEADER);
  res.vary('Accept');

  const requestPayment = (): string =>
    encodeRequestPayment({
      url: c.url,
      price: c.price,
      vendorId: s.vendorId,
      broker: s.broker,
      epoch: c.epoch.id,
      ...(c.description ? { description: asciiHeader(c.description) } : {}),
    });

  const type = req.accepts(['text/html', MICROMINT_MIME, 'application/json']);
  if (type === MICROMINT_MIME) {
    try {
      const text = failure
        ? encodeInvalidPayment(
            { k: failure.k ?? c.epoch.k },
            {
              url: c.url,
              reason: asciiHeader(failure.error),
              ...(failure.detail ? { detail: asciiHeader(failure.detail) } : {}),
              refused: failure.coins ?? [],
            },
          )
        : requestPayment();
      res.type(MICROMINT_MIME).send(text);
      return;
    } catch {
      // A URL too long for a message header: fall through to JSON, which carries the same terms.
    }
  }
  if (type === MICROMINT_MIME || type === 'application/json') {
    res.json(body);
    return;
  }
  let message: string | undefined;
  try {
    message = requestPayment();
  } catch {
    message = undefined;
  }
  const info: PaywallInfo = {
    url: c.url,
    title: c.description ?? new URL(c.url).pathname,
    ...(c.description ? { description: c.description } : {}),
    price: c.price,
    dollars: coinsToDollars(c.price),
    vendorId: s.vendorId,
    broker: s.broker,
    epoch: c.epoch.id,
    ...(failure ? { error: failure.error, ...(reasonText(failure.error) ? { errorText: reasonText(failure.error)! } : {}) } : {}),
    ...(message ? { requestPayment: message } : {}),
  };
  res.type('html').send(s.paywall(info, req));
}
