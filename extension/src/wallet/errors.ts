/**
 * Errors the wallet reports to its callers, each with a machine-readable code the UI can word.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { BudgetOver } from './budgets.ts';

/** Why the wallet refused to do something. */
export type WalletErrorCode =
  | 'invalid-message'
  | 'wrong-user'
  | 'wrong-broker'
  | 'expired'
  | 'epoch-mismatch'
  | 'unknown-epoch'
  | 'unknown-payment'
  | 'insufficient-funds'
  | 'no-chain'
  | 'unpayable'
  | 'over-budget';

/** A refusal by the wallet; nothing was written when one is thrown. */
export class WalletError extends Error {
  override name = 'WalletError';
  constructor(
    readonly code: WalletErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Not enough coins for a vendor: how many the price needs, and what the wallet holds. */
export class InsufficientFundsError extends WalletError {
  override name = 'InsufficientFundsError';
  constructor(
    /** Coins the price needs. */
    readonly needed: number,
    /** Unspent first-superbin balls of the epoch: the most coins the wallet could ever make from them. */
    readonly held: number,
    /** Coins that can actually be made for this vendor (all k slots filled). */
    readonly makeable: number,
  ) {
    super('insufficient-funds', `need ${needed} coins, hold ${held} (${makeable} can be made for this vendor)`);
  }
}

/**
 * A `payword` payment the wallet cannot make: no open chain fits (`no-chain`), or this request
 * cannot be paid with a link at all (`unpayable`: a URL or method longer than the MAC binds, a
 * header over the vendors' limit). Nothing was written, no link was revealed.
 */
export class LinkPaymentError extends WalletError {
  override name = 'LinkPaymentError';
  constructor(code: 'no-chain' | 'unpayable', message: string) {
    super(code, message);
  }
}

/**
 * A payment made without asking would pass a budget (the site's, or the whole wallet's): the
 * reader is asked instead. `over` says which budget, what it holds and what "allow up to" offers.
 * Nothing was written, nothing spent.
 */
export class BudgetExceededError extends WalletError {
  override name = 'BudgetExceededError';
  constructor(readonly over: BudgetOver) {
    super(
      'over-budget',
      `${formatMoney(over.price)} would pass the ${over.scope === 'wallet' ? "wallet's" : "site's"} budget of ${formatMoney(over.limit)} a ${over.period} (${formatMoney(over.spent)} spent)`,
    );
  }
}
