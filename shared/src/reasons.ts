/**
 * Why a coin was refused: one vocabulary for wallet, vendor and broker.
 * @module
 */

/** Reasons a vendor or the broker refuses a coin. */
export const REFUSAL_REASONS = {
  malformed: 'the coin is not k balls of 16 bytes',
  'fixed-bits': 'a ball does not hash to the fixed bits of the epoch',
  'wrong-user': 'the superbins do not follow the offsets of the paying user',
  'wrong-vendor': 'the sub-bins do not follow the offsets of this vendor',
  'duplicate-ball': 'the same ball appears twice',
  'unknown-epoch': 'the coin belongs to an epoch this party does not know',
  expired: 'the epoch of the coin has expired',
  'already-spent': 'the coin was spent before',
  forged: 'a ball is not the ball the broker minted into its slot',
  'not-sold': 'the superbin set was not sold to the paying user',
  returned: 'the coin was returned to the broker for credit',
  'redemption-closed': "the epoch's redemption period is over (after its redeemBy): the broker redeems none of its coins",
} as const;

/** A machine-readable refusal reason. */
export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** True for a string that names a {@link RefusalReason}. */
export const isRefusalReason = (value: unknown): value is RefusalReason =>
  typeof value === 'string' && Object.hasOwn(REFUSAL_REASONS, value);

/** Reasons a vendor refuses a payment as a whole (no coin is at fault). */
export const PAYMENT_ERRORS = {
  'wrong-amount': 'the number of coins is not the price',
  'wrong-url': 'the payment was made for another URL',
  'wrong-network': 'the payment names another broker',
  'unsupported-scheme': 'this site does not take that payment scheme',
} as const;

/** A machine-readable payment-level error. */
export type PaymentError = keyof typeof PAYMENT_ERRORS;

/**
 * `errorReason`s of a `PAYMENT-RESPONSE` with `success: false`: the content is served, but no coin
 * of the payment was taken (the receipt lists them as `released`), so the wallet releases them.
 */
export const RECEIPT_ERRORS = {
  no_payment_required: 'the URL is free: no coin was taken',
  not_served: 'the site failed to serve the content: no coin was taken',
} as const;

/** A machine-readable receipt error. */
export type ReceiptError = keyof typeof RECEIPT_ERRORS;

/** Human text for a refusal reason, payment error or receipt error code, or undefined for an unknown code. */
export const reasonText = (code: string): string | undefined =>
  (REFUSAL_REASONS as Record<string, string>)[code] ??
  (PAYMENT_ERRORS as Record<string, string>)[code] ??
  (RECEIPT_ERRORS as Record<string, string>)[code];
