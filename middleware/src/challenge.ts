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
  formatMoney,
  MICROMINT_MIME,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  PAYMENT_SIGNATURE_HEADER,
  reasonText,
  X402_VERSION,
  type EpochParams,
  type PaymentRequired,
  type PaymentRequirements,
} from '@micromint/shared';
import { walletPageUrl, type PaywallInfo, type PaywallRenderer } from './paywall.ts';
import type { PaymentFailure } from './schemes/scheme.ts';

export type { PaymentFailure } from './schemes/scheme.ts';
export type { RefusedCoinInfo } from './schemes/micromint.ts';

/** What the challenge is for. */
export interface ChallengeParams {
  url: string;
  price: number;
  /** The schemes' offers, in the site's order of preference. */
  accepts: PaymentRequirements[];
  /** The MicroMint epoch offered, when `micromint` is: the paywall and the MicroMint-1.0 messages name it. */
  epoch?: EpochParams;
  description?: string;
  /** `resource.mimeType`: the media type of the content sold (`text/html`, `application/json`, ...). */
  mimeType?: string;
}

/** Vendor settings the 402 answer needs. */
export interface ChallengeSettings {
  vendorId: string;
  broker: string;
  maxTimeoutSeconds: number;
  paywall: PaywallRenderer;
}

/**
 * Builds the PaymentRequired object of a challenge (optionally after a failed payment). `header`
 * picks the failing scheme's extensions cut for the header (MicroMint lists at most 100 coins there).
 */
export function paymentRequired(c: ChallengeParams, failure?: PaymentFailure, header = false): PaymentRequired {
  const extensions = header ? (failure?.headerExtensions ?? failure?.extensions) : failure?.extensions;
  return {
    x402Version: X402_VERSION,
    ...(failure ? { error: failure.error } : {}),
    resource: { url: c.url, ...(c.description ? { description: c.description } : {}), ...(c.mimeType ? { mimeType: c.mimeType } : {}) },
    accepts: c.accepts,
    ...(extensions ? { extensions } : {}),
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
  res.setHeader(
    'Access-Control-Allow-Methods',
    typeof method === 'string' && /^[A-Za-z]{1,16}$/.test(method) ? method.toUpperCase() : 'GET, HEAD',
  );
  res.setHeader('Access-Control-Allow-Headers', `${PAYMENT_SIGNATURE_HEADER}, Content-Type`);
  res.setHeader('Access-Control-Max-Age', '600');
  res.setHeader('Cache-Control', 'no-store');
  res.status(204).end();
}

/** Printable ASCII for a message header (MicroMint-1.0 messages are 7-bit). */
const asciiHeader = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);

/** Sends a 402 with the challenge header and a body chosen by the Accept header. */
export function sendPaymentRequired(req: Request, res: Response, s: ChallengeSettings, c: ChallengeParams, failure?: PaymentFailure): void {
  const body = paymentRequired(c, failure);
  res.status(402);
  res.setHeader(PAYMENT_REQUIRED_HEADER, encodeHeader(failure?.headerExtensions ? paymentRequired(c, failure, true) : body));
  res.setHeader('Cache-Control', 'no-store');
  setCorsHeaders(res);
  res.setHeader('Access-Control-Allow-Headers', PAYMENT_SIGNATURE_HEADER);
  res.vary('Accept');

  const requestPayment = (): string | undefined => {
    if (!c.epoch) return undefined; // the MicroMint-1.0 messages are for coins of an epoch
    try {
      return encodeRequestPayment({
        url: c.url,
        price: c.price,
        vendorId: s.vendorId,
        broker: s.broker,
        epoch: c.epoch.id,
        ...(c.description ? { description: asciiHeader(c.description) } : {}),
      });
    } catch {
      return undefined; // a URL too long for a message header: the JSON carries the same terms
    }
  };
  const invalidPayment = (f: PaymentFailure): string | undefined => {
    const k = f.k ?? c.epoch?.k;
    if (k === undefined) return undefined;
    try {
      const detail = f.detail ? { detail: asciiHeader(f.detail) } : {};
      return encodeInvalidPayment({ k }, { url: c.url, reason: asciiHeader(f.error), ...detail, refused: f.coins ?? [] });
    } catch {
      return undefined;
    }
  };

  const type = req.accepts(['text/html', MICROMINT_MIME, 'application/json']);
  if (type === MICROMINT_MIME) {
    const text = failure ? invalidPayment(failure) : requestPayment();
    if (text !== undefined) {
      res.type(MICROMINT_MIME).send(text);
      return;
    }
  }
  if (type === MICROMINT_MIME || type === 'application/json') {
    res.json(body);
    return;
  }
  const message = requestPayment();
  const errorText = failure ? (failure.text ?? reasonText(failure.error)) : undefined;
  const money = formatMoney(c.price);
  const info: PaywallInfo = {
    url: c.url,
    title: c.description ?? new URL(c.url).pathname,
    ...(c.description ? { description: c.description } : {}),
    price: c.price,
    money,
    dollars: money,
    vendorId: s.vendorId,
    broker: s.broker,
    walletUrl: walletPageUrl(s.broker),
    host: new URL(c.url).host,
    schemes: c.accepts.map((a) => a.scheme),
    ...(c.epoch ? { epoch: c.epoch.id } : {}),
    ...(failure ? { error: failure.error, ...(errorText ? { errorText } : {}) } : {}),
    ...(message ? { requestPayment: message } : {}),
  };
  res.type('html').send(s.paywall(info, req));
}
