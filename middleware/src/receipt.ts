/**
 * `PAYMENT-RESPONSE` receipts, and taking back a payment whose content was not served.
 *
 * A paid request's payment is recorded before the site's handler runs. When that handler then
 * fails, the reader must not pay for an error page: {@link holdServerErrors} watches the moment
 * the response's status is committed (the first `writeHead`, `write`, `end` or `flushHeaders`
 * call). With a status of 500 or more, it holds the response back, lets the middleware take the
 * payment back (and swap the receipt for a `not_served` one), then sends it. With any other
 * status, or once headers are out, the response goes as it is and the payment stands.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { ReceiptError, SettlementResponse } from '@micromint/shared';

/** The receipt of a payment taken: `extension` is the scheme's entry (the coins, or the chain range). */
export const paidReceipt = (o: {
  scheme: string;
  network: string;
  paymentId: string;
  payer: string;
  extension: Record<string, unknown>;
}): SettlementResponse => ({
  success: true,
  transaction: o.paymentId,
  network: o.network,
  payer: o.payer,
  extensions: { [o.scheme]: o.extension },
});

/**
 * The receipt of a payment that was not taken although the content is served (a free URL, or an
 * error page): the scheme's entry says what is given back (MicroMint: `released` lists every coin,
 * which the wallet puts back in its balance; payword: the range, `released: true`).
 */
export const releasedReceipt = (o: {
  scheme: string;
  network: string;
  reason: ReceiptError;
  payer?: string;
  extension: Record<string, unknown>;
}): SettlementResponse => ({
  success: false,
  errorReason: o.reason,
  transaction: '',
  network: o.network,
  ...(o.payer ? { payer: o.payer } : {}),
  extensions: { [o.scheme]: o.extension },
});

type Committing = 'writeHead' | 'write' | 'end' | 'flushHeaders';
const COMMITTING: readonly Committing[] = ['writeHead', 'write', 'end', 'flushHeaders'];

/**
 * Calls `onServerError` before a 5xx response leaves, and waits for it: `res` is held (its
 * writes queued) until the promise settles, so `onServerError` may still set headers. A response
 * committed with a status below 500 is not touched. The wrappers stay in place after the decision
 * and pass straight through, so middleware that wraps `res` after this one keeps working.
 */
export function holdServerErrors(res: ServerResponse, onServerError: (status: number) => Promise<void>): void {
  const target = res as unknown as Record<Committing, (...args: unknown[]) => unknown>;
  const original = Object.fromEntries(COMMITTING.map((m) => [m, target[m]])) as Record<Committing, (...args: unknown[]) => unknown>;
  let state: 'open' | 'holding' | 'sent' = 'open';
  const queue: [Committing, unknown[]][] = [];
  let heldWrite = false;

  const send = (): void => {
    state = 'sent';
    if (res.destroyed) return; // the client is gone: nothing to send
    for (const [m, args] of queue) original[m]!.apply(res, args);
    // A writer told to wait (write returned false) waits for 'drain'.
    if (heldWrite && !res.writableNeedDrain) res.emit('drain');
  };

  for (const m of COMMITTING) {
    target[m] = function (...args: unknown[]): unknown {
      if (state === 'sent') return original[m]!.apply(res, args);
      if (state === 'open') {
        const status = m === 'writeHead' ? Number(args[0]) : res.statusCode;
        if (!(status >= 500) || res.headersSent) {
          state = 'sent';
          return original[m]!.apply(res, args);
        }
        state = 'holding';
        onServerError(status)
          .catch(() => undefined)
          .finally(() => {
            try {
              send();
            } catch {
              res.destroy();
            }
          });
      }
      queue.push([m, args]);
      if (m === 'write') {
        heldWrite = true;
        return false;
      }
      return m === 'flushHeaders' ? undefined : res;
    };
  }
}
