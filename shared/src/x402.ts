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
/** Largest payment header accepted, in characters. */
export const MAX_PAYMENT_HEADER = 64 * 1024;

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

/** The body of `PAYMENT-RESPONSE`. */
export interface SettlementResponse {
  success: boolean;
  errorReason?: string;
  payer?: string;
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

function decodeJsonHeader(text: unknown, what: string): Record<string, unknown> {
  if (typeof text !== 'string' || text.length === 0) throw new PaymentHeaderError(`${what} header is empty`);
  if (text.length > MAX_PAYMENT_HEADER) throw new PaymentHeaderError(`${what} header is longer than ${MAX_PAYMENT_HEADER} characters`);
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
  const json = decodeJsonHeader(text, PAYMENT_REQUIRED_HEADER);
  if (!isObj(json.resource) || !isStr(json.resource.url)) throw new PaymentHeaderError('resource.url is required');
  if (!Array.isArray(json.accepts) || json.accepts.length === 0) throw new PaymentHeaderError('accepts must list at least one way to pay');
  json.accepts.forEach((a, i) => checkRequirements(a, `accepts[${i}]`));
  if (json.error !== undefined && !isStr(json.error)) throw new PaymentHeaderError('error must be a string');
  return json as unknown as PaymentRequired;
}

/** Reads a `PAYMENT-SIGNATURE` header (the scheme's own payload is checked by the scheme). */
export function decodePaymentPayload(text: unknown): PaymentPayload {
  const json = decodeJsonHeader(text, PAYMENT_SIGNATURE_HEADER);
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
  if (!isObj(json) || typeof json.success !== 'boolean' || !isStr(json.transaction) || !isStr(json.network))
    throw new PaymentHeaderError(`${PAYMENT_RESPONSE_HEADER} must hold success, transaction and network`);
  return json as unknown as SettlementResponse;
}
