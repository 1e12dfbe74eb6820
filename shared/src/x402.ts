/**
 * The HTTP binding: x402 version 2 headers carrying base64 JSON.
 * - `PAYMENT-REQUIRED` on a 402: {@link PaymentRequired}
 * - `PAYMENT-SIGNATURE` on the retried request: {@link PaymentPayload}
 * - `PAYMENT-RESPONSE` on success: {@link SettlementResponse}
 * Schemes other than `micromint` (next: `payword`) plug in beside it through `scheme` and `payload`.
 * @module
 */
import { aobject } from './assert.ts';
import { fromBase64, fromUtf8, toBase64, utf8 } from './bytes.ts';

export const X402_VERSION = 2;
/** Challenge header on a 402 (base64 JSON {@link PaymentRequired}). */
export const PAYMENT_REQUIRED_HEADER = 'PAYMENT-REQUIRED';
/** Payment header on the retried request (base64 JSON {@link PaymentPayload}). */
export const PAYMENT_SIGNATURE_HEADER = 'PAYMENT-SIGNATURE';
/** Receipt header on the paid response (base64 JSON {@link SettlementResponse}). */
export const PAYMENT_RESPONSE_HEADER = 'PAYMENT-RESPONSE';
/**
 * Largest `PAYMENT-SIGNATURE` value a vendor takes, in characters (base64, so also bytes): 8 KiB,
 * so that the header fits, with cookies and the rest, under Node's default limit of 16 KiB for
 * all request headers. A payment whose header would be longer travels in the body instead
 * ({@link MAX_PAYMENT_BODY_BYTES}).
 */
export const MAX_PAYMENT_HEADER_BYTES = 8 * 1024;
/**
 * Largest payment body a vendor reads: `POST` of `application/x-micromint` (a Payment message) to
 * the paid URL. 192 KiB holds the largest payment there is: 1000 coins (`MAX_COINS_PER_PAYMENT`)
 * of 8 balls (the largest k) with a 2048-character URL, CRLF line ends (about 174 KiB).
 */
export const MAX_PAYMENT_BODY_BYTES = 192 * 1024;
/** Largest `PAYMENT-REQUIRED` value a wallet reads, in characters (it lists up to 100 refused coins). */
export const MAX_CHALLENGE_HEADER_BYTES = 64 * 1024;
/** @deprecated The `PAYMENT-SIGNATURE` limit is {@link MAX_PAYMENT_HEADER_BYTES}. */
export const MAX_PAYMENT_HEADER = MAX_PAYMENT_HEADER_BYTES;

/** The resource a payment is for. */
export interface ResourceInfo {
  url: string;
  description?: string;
  mimeType?: string;
}

/** One way to pay, as offered in `accepts`. */
export interface PaymentRequirements {
  scheme: string;
  network: string;
  /** The price, in the scheme's units, as a decimal string. */
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra?: Record<string, unknown>;
}

/** The body of `PAYMENT-REQUIRED`. */
export interface PaymentRequired {
  x402Version: 2;
  error?: string;
  resource: ResourceInfo;
  accepts: PaymentRequirements[];
  extensions?: Record<string, unknown>;
}

/** The body of `PAYMENT-SIGNATURE`. */
export interface PaymentPayload {
  x402Version: 2;
  resource?: ResourceInfo;
  accepted: PaymentRequirements;
  payload: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

/**
 * The body of `PAYMENT-RESPONSE`. `success: false` says that nothing was taken (e.g. `errorReason`
 * `no_payment_required` or `not_served`); `transaction` is then empty.
 */
export interface SettlementResponse {
  success: boolean;
  errorReason?: string;
  payer?: string;
  /** The payment id; `""` when `success` is false. */
  transaction: string;
  network: string;
  extensions?: Record<string, unknown>;
}

/** A payment header that cannot be read; the middleware answers it with 400. */
export class PaymentHeaderError extends Error {
  override name = 'PaymentHeaderError';
}

/** Base64 of the UTF-8 JSON of `value`: the form of all three headers. */
export const encodeHeader = (value: object): string => toBase64(utf8(JSON.stringify(value)));

function decodeJsonHeader(text: unknown, what: string, max: number): Record<string, unknown> {
  if (typeof text !== 'string' || text.length === 0) throw new PaymentHeaderError(`${what} header is empty`);
  if (text.length > max) throw new PaymentHeaderError(`${what} header is longer than ${max} characters`);
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(fromBase64(text.trim())));
  } catch {
    throw new PaymentHeaderError(`${what} header is not base64 of JSON`);
  }
  try {
    aobject(json, what);
  } catch {
    throw new PaymentHeaderError(`${what} header must hold a JSON object`);
  }
  if (json.x402Version !== X402_VERSION) throw new PaymentHeaderError(`${what}: x402Version must be ${X402_VERSION}`);
  return json;
}

const isStr = (v: unknown, max = 2048): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkRequirements(r: unknown, what: string): PaymentRequirements {
  if (!isObj(r)) throw new PaymentHeaderError(`${what} must be an object`);
  for (const f of ['scheme', 'network', 'amount', 'asset', 'payTo'] as const)
    if (!isStr(r[f])) throw new PaymentHeaderError(`${what}.${f} must be a non-empty string`);
  if (!/^[0-9]{1,18}$/.test(r.amount as string)) throw new PaymentHeaderError(`${what}.amount must be a whole number`);
  if (!Number.isSafeInteger(r.maxTimeoutSeconds)) throw new PaymentHeaderError(`${what}.maxTimeoutSeconds must be an integer`);
  if (r.extra !== undefined && !isObj(r.extra)) throw new PaymentHeaderError(`${what}.extra must be an object`);
  return r as unknown as PaymentRequirements;
}

/** Reads a `PAYMENT-REQUIRED` header. */
export function decodePaymentRequired(text: unknown): PaymentRequired {
  const json = decodeJsonHeader(text, PAYMENT_REQUIRED_HEADER, MAX_CHALLENGE_HEADER_BYTES);
  if (!isObj(json.resource) || !isStr(json.resource.url)) throw new PaymentHeaderError('resource.url is required');
  if (!Array.isArray(json.accepts) || json.accepts.length === 0) throw new PaymentHeaderError('accepts must list at least one way to pay');
  json.accepts.forEach((a, i) => checkRequirements(a, `accepts[${i}]`));
  if (json.error !== undefined && !isStr(json.error)) throw new PaymentHeaderError('error must be a string');
  return json as unknown as PaymentRequired;
}

/**
 * Reads a `PAYMENT-SIGNATURE` header (the scheme's own payload is checked by the scheme).
 * A header longer than {@link MAX_PAYMENT_HEADER_BYTES} is a {@link PaymentHeaderError}: such a
 * payment must be sent in the body.
 */
export function decodePaymentPayload(text: unknown): PaymentPayload {
  if (typeof text === 'string' && text.length > MAX_PAYMENT_HEADER_BYTES)
    throw new PaymentHeaderError(
      `${PAYMENT_SIGNATURE_HEADER} header is longer than ${MAX_PAYMENT_HEADER_BYTES} characters: ` +
        'send a payment this large as the body of a POST (application/x-micromint)',
    );
  const json = decodeJsonHeader(text, PAYMENT_SIGNATURE_HEADER, MAX_PAYMENT_HEADER_BYTES);
  checkRequirements(json.accepted, 'accepted');
  if (!isObj(json.payload)) throw new PaymentHeaderError('payload must be an object');
  if (json.resource !== undefined && (!isObj(json.resource) || !isStr(json.resource.url)))
    throw new PaymentHeaderError('resource.url must be a string');
  return json as unknown as PaymentPayload;
}

/** Reads a `PAYMENT-RESPONSE` header. */
export function decodeSettlementResponse(text: unknown): SettlementResponse {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(fromBase64(String(text).trim())));
  } catch {
    throw new PaymentHeaderError(`${PAYMENT_RESPONSE_HEADER} header is not base64 of JSON`);
  }
  if (!isObj(json) || typeof json.success !== 'boolean' || !isStr(json.network))
    throw new PaymentHeaderError(`${PAYMENT_RESPONSE_HEADER} must hold success, transaction and network`);
  // A receipt of a payment taken names it; one saying nothing was taken has an empty transaction.
  if (json.success ? !isStr(json.transaction) : typeof json.transaction !== 'string' || json.transaction.length > 2048)
    throw new PaymentHeaderError(`${PAYMENT_RESPONSE_HEADER} must hold success, transaction and network`);
  if (json.errorReason !== undefined && !isStr(json.errorReason, 256)) throw new PaymentHeaderError('errorReason must be a string');
  return json as unknown as SettlementResponse;
}
