/**
 * Reading the vendor's answer to a request that carried a payment (docs/protocol.md 9.1, "Reading
 * the answer"): the first rule that applies decides, and the extension and the Node client follow
 * the same ones.
 *
 * 1. A PAYMENT-RESPONSE with `success: true`, whatever the status: **paid**. The vendor sets the
 *    receipt only once the payment is recorded, before the site's own handler runs; that handler may
 *    still answer 400, 404, 500 or a redirect, and the payment is the vendor's all the same.
 * 2. A failed receipt whose `errorReason` is `no_payment_required` or `not_served`, whatever the
 *    status: **released**: the coins in `extensions.micromint.released` come back.
 * 3. A failed receipt on a 2xx: **refused**, with its reason and refused coins.
 * 4. A 402: **refused**, with the reason and refused coins of its PAYMENT-REQUIRED.
 * 5. A 400 without a receipt: the vendor could not read the payment and consumed nothing: **refused**.
 * 6. Anything else (a 2xx without a readable receipt, a 5xx): **unsettled**. The payment stays as it
 *    is and is sent again, byte for byte: a vendor may have recorded it and then failed to answer.
 *
 * Everything read off the answer is checked; malformed entries are dropped, never thrown.
 * @module
 */
import {
  decodePaymentRequired,
  decodeSettlementResponse,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  type SettlementResponse,
} from '../x402.ts';
import { ANSWER_REASON_PATTERN, paywordAnswer, type PaywordAnswer } from './payword-answer.ts';

/** A coin the vendor refused, and why. */
export interface CoinRefusal {
  coinId: string;
  reason: string;
}

/** `errorReason`s of a PAYMENT-RESPONSE by which a vendor says it kept nothing. */
export const RELEASE_REASONS = ['no_payment_required', 'not_served'] as const;
/** Why a vendor gave a payment back. */
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/**
 * True when `r` is one of {@link RELEASE_REASONS}.
 * @example
 * isReleaseReason('not_served'); // true
 */
export const isReleaseReason = (r: unknown): r is ReleaseReason => (RELEASE_REASONS as readonly unknown[]).includes(r);

/**
 * What the answer means. `receipt` is the PAYMENT-RESPONSE text the answer was read from, when it
 * was (a wallet may keep it as the vendor's word).
 */
export type PaymentAnswer =
  | { kind: 'paid'; transaction?: string; receipt: string; payword?: PaywordAnswer }
  | { kind: 'released'; reason: ReleaseReason; released: string[]; receipt: string; payword?: PaywordAnswer }
  | { kind: 'refused'; error: string; refused: CoinRefusal[]; receipt?: string; payword?: PaywordAnswer }
  | { kind: 'unsettled'; why: string };

const COIN_ID = /^[0-9a-f]{32}$/;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The micromint member of `extensions`, if it is an object. */
const micromintOf = (extensions: unknown): Record<string, unknown> | undefined => {
  const m = isRecord(extensions) ? extensions.micromint : undefined;
  return isRecord(m) ? m : undefined;
};

/**
 * `extensions.micromint.released` of a receipt: the coin ids the vendor gave back (well-formed ones only).
 * @example
 * releasedCoins({ micromint: { released: [id, 'junk'] } }); // [id]
 */
export function releasedCoins(extensions: unknown): string[] {
  const list = micromintOf(extensions)?.released;
  return Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string' && COIN_ID.test(c)) : [];
}

/**
 * `extensions.micromint.refused` of a refusal: the coins refused and why (well-formed entries only).
 * @example
 * refusedCoins({ micromint: { refused: [{ coinId: id, reason: 'already-spent' }] } }); // [{ coinId: id, reason: 'already-spent' }]
 */
export function refusedCoins(extensions: unknown): CoinRefusal[] {
  const list = micromintOf(extensions)?.refused;
  if (!Array.isArray(list)) return [];
  return list
    .filter(
      (r): r is CoinRefusal =>
        isRecord(r) &&
        typeof r.coinId === 'string' &&
        COIN_ID.test(r.coinId) &&
        typeof r.reason === 'string' &&
        ANSWER_REASON_PATTERN.test(r.reason),
    )
    .map((r) => ({ coinId: r.coinId, reason: r.reason }));
}

/** `{ payword }` when the extensions carry a payword entry, else nothing (so coin answers keep their shape). */
const withPayword = (extensions: unknown): { payword?: PaywordAnswer } => {
  const pw = paywordAnswer(extensions);
  return pw ? { payword: pw } : {};
};

/**
 * Reads the answer to a paid request: its HTTP `status` and its headers, by name (any case the
 * caller's headers take: `(n) => res.headers.get(n)`).
 * @example
 * readPaymentAnswer(res.status, (name) => res.headers.get(name)); // { kind: 'paid', transaction: 'pay_1', receipt: '...' }
 */
export function readPaymentAnswer(status: number, header: (name: string) => string | null | undefined): PaymentAnswer {
  const text = header(PAYMENT_RESPONSE_HEADER) ?? undefined;
  let r: SettlementResponse | undefined;
  try {
    r = text ? decodeSettlementResponse(text) : undefined;
  } catch {
    r = undefined;
  }
  if (r && text) {
    if (r.success)
      return { kind: 'paid', ...(r.transaction ? { transaction: r.transaction } : {}), receipt: text, ...withPayword(r.extensions) };
    if (isReleaseReason(r.errorReason))
      return {
        kind: 'released',
        reason: r.errorReason,
        released: releasedCoins(r.extensions),
        receipt: text,
        ...withPayword(r.extensions),
      };
    if (status >= 200 && status < 300)
      return {
        kind: 'refused',
        error: r.errorReason ?? 'refused',
        refused: refusedCoins(r.extensions),
        receipt: text,
        ...withPayword(r.extensions),
      };
  }
  if (status >= 200 && status < 300)
    return { kind: 'unsettled', why: text ? `unreadable ${PAYMENT_RESPONSE_HEADER}` : `HTTP ${status} without ${PAYMENT_RESPONSE_HEADER}` };
  if (status === 402) {
    try {
      const req = decodePaymentRequired(header(PAYMENT_REQUIRED_HEADER) ?? undefined);
      return {
        kind: 'refused',
        error: req.error ?? 'payment-required',
        refused: refusedCoins(req.extensions),
        ...withPayword(req.extensions),
      };
    } catch {
      return { kind: 'refused', error: 'payment-required', refused: [] };
    }
  }
  if (status === 400) return { kind: 'refused', error: 'invalid_payment_header', refused: [] };
  return { kind: 'unsettled', why: `HTTP ${status}` };
}
