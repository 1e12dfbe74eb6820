/**
 * The client's typed errors. Every error a caller may act on has a stable `code`; the message is a
 * sentence for people. Nothing here carries a stack trace to a user: the CLI prints `message` only.
 * @module
 */
import { formatMoney } from '@micromint/shared';

/** A wallet failure with a stable code (`wrong-user`, `invalid-message`, `no-broker`, ...). */
export class WalletError extends Error {
  override name = 'WalletError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Which cap a payment would break. */
export type CapKind = 'per-request' | 'per-host-per-day' | 'per-day';

/**
 * A payment the wallet did not make because it would break a spending cap. Nothing was spent: the
 * 402 goes back to the caller, with this error as `paymentOf(response).error`.
 * @example
 * const info = paymentOf(res);
 * if (info?.error instanceof CapExceededError) console.log(`over the ${info.error.cap} cap`);
 */
export class CapExceededError extends WalletError {
  override name = 'CapExceededError';
  constructor(
    readonly cap: CapKind,
    /** What the payment costs, in mills. */
    readonly priceMills: number,
    /** The cap, in mills. */
    readonly limitMills: number,
    /** What was spent already within the cap's window, in mills (0 for the per-request cap). */
    readonly spentMills: number,
    readonly host?: string,
  ) {
    super(
      'over-cap',
      cap === 'per-request'
        ? `the price ${formatMoney(priceMills)} is over the most you pay per request (${formatMoney(limitMills)})`
        : `paying ${formatMoney(priceMills)} would take ${cap === 'per-day' ? 'what you spend in all' : `what you spend at ${host}`} ` +
            `over ${formatMoney(limitMills)} in 24 hours (${formatMoney(spentMills)} spent already)`,
    );
  }
}

/** The wallet cannot make the payment: not enough coins for this vendor, and no chain that fits. */
export class InsufficientFundsError extends WalletError {
  override name = 'InsufficientFundsError';
  constructor(
    readonly neededMills: number,
    /** What the wallet could pay this vendor, in mills. */
    readonly availableMills: number,
    detail?: string,
  ) {
    super(
      'insufficient-funds',
      `the wallet cannot pay ${formatMoney(neededMills)} here (it can pay ${formatMoney(availableMills)})${detail ? `: ${detail}` : ''}`,
    );
  }
}

/** The site's 402 cannot be paid by this wallet: an unknown scheme, a vendor that is not the URL's origin, plain http to a remote host. */
export class UnpayableError extends WalletError {
  override name = 'UnpayableError';
  constructor(message: string) {
    super('unpayable', message);
  }
}

/** A broker call failed; `code` is the broker's error code (`unauthorized`, `insufficient_funds`, ...) or the client's own (`broker-unreachable`, `bad-broker-answer`). */
export class BrokerError extends WalletError {
  override name = 'BrokerError';
  constructor(
    code: string,
    message: string,
    /** The HTTP status, 0 when the broker could not be reached. */
    readonly status: number,
    /** Members of the broker's JSON error beside `error` and `message` (e.g. `balanceMills`). */
    readonly detail: Record<string, unknown> = {},
  ) {
    super(code, message);
  }
}
