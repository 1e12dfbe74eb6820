/**
 * Paying a challenge with its scheme: shared by the navigation flow and the fetch flow, so both
 * answer a shortfall the same way.
 * @module
 */
import type { PageVerdict } from '../messages.ts';
import { InsufficientFundsError, type PaymentRecord, type WalletDb } from '../wallet/index.ts';
import type { Challenge } from './challenges.ts';
import type { SchemeRegistry } from './schemes/registry.ts';

/** The verdict for a wallet that cannot make `price` coins for the vendor. */
export type InsufficientVerdict = Extract<PageVerdict, { action: 'insufficient' }>;

/** The insufficient-funds verdict for a challenge. */
export const insufficient = (broker: boolean, challenge: Challenge, funds: { held: number; makeable: number }): InsufficientVerdict => ({
  action: 'insufficient',
  broker,
  price: challenge.quote.price,
  vendorId: challenge.quote.vendorId,
  held: funds.held,
  makeable: funds.makeable,
});

/** Spends coins for `challenge` (one wallet transaction), or returns the insufficient verdict. */
export async function payChallenge(
  schemes: SchemeRegistry,
  db: WalletDb,
  challenge: Challenge,
  broker: boolean,
): Promise<{ payment: PaymentRecord } | { verdict: InsufficientVerdict }> {
  try {
    const payment = await schemes.get(challenge.scheme)!.pay(db, {
      url: challenge.url,
      resourceUrl: challenge.resourceUrl,
      requirement: challenge.requirement,
      quote: challenge.quote,
    });
    return { payment };
  } catch (e) {
    if (!(e instanceof InsufficientFundsError)) throw e;
    return { verdict: insufficient(broker, challenge, e) };
  }
}
