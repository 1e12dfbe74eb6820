/**
 * What a wrapped fetch did about a 402, readable from the response it returned: `paymentOf(res)`.
 * @module
 */
import { decodeSettlementResponse, type SettlementResponse } from '@micromint/shared';
import type { WalletError } from '../errors.ts';
import type { PaymentRecord } from '../wallet/payments.ts';

/**
 * What became of a 402:
 * - `paid`: the vendor took the payment (`receipt` is its PAYMENT-RESPONSE);
 * - `released`: it served the request and gave the payment back (the URL was free, or it failed);
 * - `refused`: it refused the payment (`reason`), and the response is its answer (a 402 again, a 400);
 * - `pending`: no verdict came (a 5xx, a 2xx without a receipt): the coins or links stay spent and
 *   the same payment is sent again, byte for byte, the next time this URL asks for payment;
 * - `declined`: the wallet did not pay (`error`: `CapExceededError`, `InsufficientFundsError`,
 *   `UnpayableError`, ...); the response is the vendor's 402, unpaid.
 */
export type PaymentStatus = 'paid' | 'released' | 'refused' | 'pending' | 'declined';

/** What was paid for one response. Money is in mills (1 coin = 1 mill = $0.001). */
export interface PaymentInfo {
  status: PaymentStatus;
  url: string;
  /** `micromint` or `payword`, once a payment was made. */
  scheme?: string;
  /** What the payment costs, in mills (0 when declined). */
  priceMills: number;
  /** What it still holds after the answer (the price; less what a release or refusal gave back). */
  spentMills: number;
  /** The wallet's payment id. */
  paymentId?: string;
  /** True when a pending payment was sent again instead of a new one. */
  resent: boolean;
  /** The vendor's receipt, decoded. */
  receipt?: SettlementResponse;
  /** The vendor's reason (`already-spent`, `not_served`, ...), or why it stays pending. */
  reason?: string;
  /** Why the wallet declined. */
  error?: WalletError;
}

const infos = new WeakMap<Response, PaymentInfo>();

/**
 * What the wrapped fetch paid for `response`, or undefined when it did not answer a 402.
 * @example
 * const res = await paidFetch('http://127.0.0.1:4001/api/quote');
 * const paid = paymentOf(res);
 * if (paid?.status === 'paid') console.error(`paid ${formatMoney(paid.spentMills)} with ${paid.scheme}`);
 */
export const paymentOf = (response: Response): PaymentInfo | undefined => infos.get(response);

/** Attaches `info` to `response` (and returns the response). */
export function tagResponse(response: Response, info: PaymentInfo): Response {
  infos.set(response, info);
  return response;
}

/** The info of a payment after its answer. */
export function infoOf(p: PaymentRecord, resent: boolean, reason?: string): PaymentInfo {
  let receipt: SettlementResponse | undefined;
  try {
    receipt = p.receipt ? decodeSettlementResponse(p.receipt) : undefined;
  } catch {
    receipt = undefined;
  }
  const status: PaymentStatus = p.state;
  return {
    status,
    url: p.url,
    scheme: p.scheme,
    priceMills: p.price,
    spentMills: p.spent,
    paymentId: p.id,
    resent,
    ...(receipt ? { receipt } : {}),
    ...((reason ?? p.error) ? { reason: reason ?? p.error } : {}),
  };
}

/** The info of a 402 the wallet did not pay. */
export const declinedInfo = (url: string, error: WalletError): PaymentInfo => ({
  status: 'declined',
  url,
  priceMills: 0,
  spentMills: 0,
  resent: false,
  reason: error.code,
  error,
});
