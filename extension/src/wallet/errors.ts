/**
 * Errors the wallet reports to its callers, each with a machine-readable code the UI can word.
 * @module
 */

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
  | 'unpayable';

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
