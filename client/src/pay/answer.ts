/**
 * Reading the vendor's answer to a request that carried a payment (docs/protocol.md 9.1, Reading
 * the answer), by the rules the extension follows too (`readPaymentAnswer` of `@micromint/shared`):
 * a receipt with `success: true` is paid, whatever the status; a failed receipt saying
 * `no_payment_required` or `not_served` is released; a failed receipt on a 2xx, a 402, or a 400 is
 * refused; anything else (a 2xx without a receipt, a 5xx, no answer) leaves the payment pending, to
 * be sent again as it is. The client keeps the receipt's text with the payment.
 * @module
 */
import { readPaymentAnswer } from '@micromint/shared';
import type { Outcome } from '../wallet/outcome.ts';

/**
 * What the answer to a paid request means.
 * @example
 * const outcome = classifyAnswer(res.status, res.headers); // { kind: 'paid', ... }
 */
export function classifyAnswer(status: number, headers: Headers): Outcome {
  const answer = readPaymentAnswer(status, (name) => headers.get(name));
  return answer.kind === 'unsettled' ? { kind: 'pending', why: answer.why } : answer;
}
