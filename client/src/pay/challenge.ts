/**
 * Reading a 402 (docs/protocol.md 9 and 12.6) into the offers this wallet can pay, after the
 * checks a wallet makes before paying (9.1): only over https or http to a loopback host, only to
 * a vendor that is the URL's origin, only on the network of the broker the offer names.
 * @module
 */
import {
  decodePaymentRequired,
  isPayableUrl,
  MICROMINT_SCHEME,
  PAYMENT_REQUIRED_HEADER,
  PAYWORD_SCHEME,
  quoteMicromint,
  quotePayword,
  type OfferQuote,
  type PaymentRequired,
  type PaymentRequirements,
} from '@micromint/shared';
import { UnpayableError } from '../errors.ts';

/** One way to pay a 402, read and checked (the wallets' shared quote, `OfferQuote`), with its entry. Money is in mills. */
export interface Offer extends OfferQuote {
  requirement: PaymentRequirements;
}

/** A 402 read: the challenge and the offers this wallet can pay, in the site's order. */
export interface Challenge {
  required: PaymentRequired;
  /** `resource.url`: what a payment names and a link's MAC binds. */
  resourceUrl: string;
  offers: Offer[];
  /** The vendor's `error` when the 402 answers a payment. */
  error?: string;
}

/** Throws {@link UnpayableError} unless the wallet may pay for `url` at all (shared's `isPayableUrl`). */
export function assertPayableUrl(url: URL): void {
  if (!isPayableUrl(url)) throw new UnpayableError(`the wallet pays only over https (or http to this machine), not for ${url.origin}`);
}

/** Reads an offer (shared's quote; a micromint offer on another broker's network is refused too) that pays the site itself. */
function readOffer(requirement: PaymentRequirements, origin: string): Offer {
  if (requirement.payTo !== origin) throw new UnpayableError(`the offer pays ${requirement.payTo}, not the site ${origin}`);
  const quote =
    requirement.scheme === MICROMINT_SCHEME ? quoteMicromint(requirement, { checkCoinNetwork: true }) : quotePayword(requirement);
  return { ...quote, requirement };
}

/**
 * The offers of a `PAYMENT-REQUIRED` value for `url`: every `micromint` and `payword` entry whose
 * terms read and pass the checks (the first of each scheme), in the site's order.
 * @throws UnpayableError when the header cannot be read, the URL may not be paid, or no offer is payable.
 * @example
 * const { offers } = readChallenge(res.headers.get('payment-required'), new URL(res.url));
 */
export function readChallenge(header: string | null | undefined, url: URL): Challenge {
  let required: PaymentRequired;
  try {
    required = decodePaymentRequired(header ?? undefined);
  } catch (e) {
    throw new UnpayableError(`the 402 carries no readable ${PAYMENT_REQUIRED_HEADER}: ${(e as Error).message}`);
  }
  return challengeOf(required, url);
}

/** {@link readChallenge} of a challenge already decoded (an x402 client's `PaymentRequired`). */
export function challengeOf(required: PaymentRequired, url: URL): Challenge {
  assertPayableUrl(url);
  const offers: Offer[] = [];
  const problems: string[] = [];
  for (const requirement of required.accepts) {
    if (requirement.scheme !== MICROMINT_SCHEME && requirement.scheme !== PAYWORD_SCHEME) continue;
    if (offers.some((o) => o.scheme === requirement.scheme)) continue;
    try {
      offers.push(readOffer(requirement, url.origin));
    } catch (e) {
      problems.push(`${requirement.scheme}: ${(e as Error).message}`);
    }
  }
  if (offers.length === 0)
    throw new UnpayableError(
      problems.length
        ? `the site's offers cannot be paid (${problems.join('; ')})`
        : `the site takes only ${required.accepts.map((a) => a.scheme).join(', ')}; this wallet pays micromint and payword`,
    );
  return { required, resourceUrl: required.resource.url, offers, ...(required.error ? { error: required.error } : {}) };
}
