/**
 * What a payment scheme plugs into the wallet: read its terms, count funds, pay.
 * `micromint` is the first; `payword` (hash chains) is meant to slot in beside it.
 * @module
 */
import type { PaymentRequirements } from '@micromint/shared';
import type { Funds, PaymentRecord, WalletDb } from '../../wallet/index.ts';

/** A scheme's terms, normalised: what a prompt shows and the threshold compares. */
export interface Quote {
  /** Price in the scheme's coins (micromint: 1 coin = 1 mill = $0.001). */
  price: number;
  /** Who is paid; must be the origin of the URL paid for. */
  vendorId: string;
  broker: string;
  epoch: string;
}

/** What a payment is for: the URL, the offer taken and its terms. */
export interface PaymentTarget {
  url: string;
  resourceUrl: string;
  requirement: PaymentRequirements;
  quote: Quote;
}

/** One payment scheme. */
export interface SchemeHandler {
  readonly scheme: string;
  /** Reads the scheme's terms; throws (e.g. `PaymentHeaderError`) when they are unreadable. */
  quote(requirement: PaymentRequirements): Quote;
  /** What the wallet could pay this vendor. */
  funds(db: WalletDb, quote: Quote): Promise<Funds>;
  /** Records a pending payment (funds marked spent) whose `header` is the PAYMENT-SIGNATURE value. */
  pay(db: WalletDb, target: PaymentTarget): Promise<PaymentRecord>;
}
