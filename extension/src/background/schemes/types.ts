/**
 * What a payment scheme plugs into the wallet (x402's shape: one module per scheme, keyed by
 * `scheme`): read its terms and quote them in mills, say what it holds for them, pay (record a
 * pending payment whose header is the PAYMENT-SIGNATURE, in one wallet transaction), settle or
 * release it on the vendor's answer (its own receipt and refusal extension), and report its
 * balance in mills. `micromint` pays with coins, `payword` with the links of a hash chain; money is
 * in mills for both (1 coin = 1 mill = $0.001), so the autopay threshold and the prompts mean the
 * same whichever pays.
 * @module
 */
import type { OfferQuote, PaymentRequirements } from '@micromint/shared';
import type { BudgetTerms, PaymentRecord, WalletDb } from '../../wallet/index.ts';
import type { RetryOutcome } from '../receipts.ts';
import type { Settings } from '../settings.ts';

/**
 * A scheme's terms, normalised: what a prompt shows and the threshold compares (the wallets' shared
 * `OfferQuote`: price, `mills`, vendor, broker, epoch or link terms); `vendorId` must be the origin
 * of the URL paid for.
 */
export interface Quote extends Omit<OfferQuote, 'scheme'> {
  scheme: string;
}

/** What the wallet holds for a quote, in mills. */
export interface Funds {
  /** What the scheme holds that could serve this vendor (micromint: unspent coins of the epoch; payword: the fitting chain's links left). */
  held: number;
  /** What it can pay this vendor now, without a broker call. */
  makeable: number;
  /**
   * payword: what opening a chain would weigh (a broker call adds funds for the vendor): whether
   * the wallet is connected to the offer's broker, what its open chains hold, the broker's most
   * links per chain when known.
   */
  chain?: { connected: boolean; heldMills: number; maxLength?: number };
}

/** What a scheme works with: the wallet, the settings read for this step, the clock. */
export interface SchemeContext {
  db: WalletDb;
  settings: Settings;
  /** Milliseconds since 1970. */
  now: number;
  log: (message: string) => void;
}

/** What a payment is for: the URL, the offer taken and its terms. */
export interface PaymentTarget {
  url: string;
  resourceUrl: string;
  requirement: PaymentRequirements;
  quote: Quote;
  /** The method of the request the payment goes on, upper case (a link's MAC binds it). */
  method: string;
  /** payword: open a chain of this many links first (the choice of scheme said so). */
  openChain?: { length: number };
  /** The budgets, checked and charged in the payment's transaction (`enforce`: paid without asking). */
  budget?: BudgetTerms;
}

/** One payment scheme. */
export interface SchemeHandler {
  readonly scheme: string;
  /** Reads the scheme's terms; throws (e.g. `PaymentHeaderError`) when they are unreadable or not payable. */
  quote(requirement: PaymentRequirements): Quote;
  /** What the wallet holds for this quote. Reads only. */
  funds(ctx: SchemeContext, quote: Quote): Promise<Funds>;
  /**
   * Records a pending payment whose `header` is the PAYMENT-SIGNATURE value, its funds taken in
   * the same wallet transaction (a payment still pending for the URL comes back instead), and the
   * budgets charged in it. Throws `InsufficientFundsError`, `LinkPaymentError`, `ChainOpenError` or
   * `BudgetExceededError` with nothing spent.
   */
  pay(ctx: SchemeContext, target: PaymentTarget): Promise<PaymentRecord>;
  /** Applies the vendor's answer to one of its payments: paid, refused, given back (`unsettled` never reaches it). */
  settle(ctx: SchemeContext, payment: PaymentRecord, outcome: Exclude<RetryOutcome, { kind: 'unsettled' }>): Promise<void>;
  /** What it holds in all, in mills. */
  balance(ctx: SchemeContext): Promise<number>;
}
