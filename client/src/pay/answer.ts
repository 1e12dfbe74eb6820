/**
 * Reading the vendor's answer to a request that carried a payment (docs/protocol.md 9.1, Reading
 * the answer), the first row that applies: a receipt with `success: true` is paid, whatever the
 * status; a failed receipt saying `no_payment_required` or `not_served` is released; a failed
 * receipt on a 2xx, a 402, or a 400 is refused; anything else (a 2xx without a receipt, a 5xx, no
 * answer) leaves the payment pending, to be sent again as it is.
 * @module
 */
import {
  ANSWER_REASON_PATTERN,
  decodePaymentRequired,
  decodeSettlementResponse,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  paywordAnswer,
  type PaywordAnswer,
  type SettlementResponse,
} from '@micromint/shared';
import type { Outcome } from '../wallet/outcome.ts';
import type { CoinRefusal } from '../wallet/payments.ts';

/** `errorReason`s by which a vendor says it kept nothing of the payment. */
export const RELEASE_REASONS: ReadonlySet<string> = new Set(['no_payment_required', 'not_served']);

const COIN_ID = /^[0-9a-f]{32}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The scheme's member of `extensions`, if it is an object. */
const member = (extensions: unknown, scheme: string): Record<string, unknown> | undefined => {
  const m = isObject(extensions) ? extensions[scheme] : undefined;
  return isObject(m) ? m : undefined;
};

/** `extensions.micromint.released`: the coin ids given back (well-formed ones only). */
export const releasedCoins = (extensions: unknown): string[] => {
  const list = member(extensions, 'micromint')?.released;
  return Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string' && COIN_ID.test(c)) : [];
};

/** `extensions.micromint.refused`: the coins refused and why (well-formed entries only). */
export const refusedCoins = (extensions: unknown): CoinRefusal[] => {
  const list = member(extensions, 'micromint')?.refused;
  if (!Array.isArray(list)) return [];
  return list
    .filter(
      (r): r is { coinId: string; reason: string } =>
        isObject(r) &&
        typeof r.coinId === 'string' &&
        COIN_ID.test(r.coinId) &&
        typeof r.reason === 'string' &&
        ANSWER_REASON_PATTERN.test(r.reason),
    )
    .map((r) => ({ coinId: r.coinId, reason: r.reason }));
};

const withPayword = (extensions: unknown): { payword?: PaywordAnswer } => {
  const pw = paywordAnswer(extensions);
  return pw ? { payword: pw } : {};
};

/** The receipt on a response, if it reads. */
export function readReceipt(headers: Headers): { text: string; receipt: SettlementResponse } | undefined {
  const text = headers.get(PAYMENT_RESPONSE_HEADER);
  if (!text) return undefined;
  try {
    return { text, receipt: decodeSettlementResponse(text) };
  } catch {
    return undefined;
  }
}

/**
 * What the answer to a paid request means.
 * @example
 * const outcome = classifyAnswer(res.status, res.headers); // { kind: 'paid', ... }
 */
export function classifyAnswer(status: number, headers: Headers): Outcome {
  const read = readReceipt(headers);
  if (read?.receipt.success)
    return {
      kind: 'paid',
      receipt: read.text,
      ...(read.receipt.transaction ? { transaction: read.receipt.transaction } : {}),
      ...withPayword(read.receipt.extensions),
    };
  if (read && RELEASE_REASONS.has(read.receipt.errorReason ?? ''))
    return {
      kind: 'released',
      reason: read.receipt.errorReason!,
      released: releasedCoins(read.receipt.extensions),
      receipt: read.text,
      ...withPayword(read.receipt.extensions),
    };
  if (status >= 200 && status < 300) {
    if (!read) return { kind: 'pending', why: `HTTP ${status} without a readable ${PAYMENT_RESPONSE_HEADER}` };
    return {
      kind: 'refused',
      error: read.receipt.errorReason ?? 'refused',
      refused: refusedCoins(read.receipt.extensions),
      receipt: read.text,
      ...withPayword(read.receipt.extensions),
    };
  }
  if (status === 402) {
    try {
      const r = decodePaymentRequired(headers.get(PAYMENT_REQUIRED_HEADER) ?? undefined);
      return { kind: 'refused', error: r.error ?? 'payment-required', refused: refusedCoins(r.extensions), ...withPayword(r.extensions) };
    } catch {
      return { kind: 'refused', error: 'payment-required', refused: [] };
    }
  }
  if (status === 400) return { kind: 'refused', error: 'invalid_payment_header', refused: [] };
  return { kind: 'pending', why: `HTTP ${status}` };
}
