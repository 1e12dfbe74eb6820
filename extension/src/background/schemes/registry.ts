/**
 * The schemes this wallet can pay with, and reading a challenge's `accepts` into the offers it
 * can pay. Which of those pays is the choice of scheme (choose-scheme.ts), made once the wallet's
 * funds and the reader's policy are known.
 * @module
 */
import type { PaymentRequirements } from '@micromint/shared';
import { micromintScheme } from './micromint.ts';
import { paywordScheme } from './payword.ts';
import type { Quote, SchemeHandler } from './types.ts';

/** Scheme name -> handler. */
export type SchemeRegistry = ReadonlyMap<string, SchemeHandler>;

/** The schemes of this build: coins and chains (one chain opener for the worker, over the global fetch). */
export const DEFAULT_SCHEMES: SchemeRegistry = new Map<string, SchemeHandler>(
  [micromintScheme, paywordScheme()].map((handler) => [handler.scheme, handler]),
);

/** An offer read from a challenge, with its handler and terms. */
export interface ChosenOffer {
  handler: SchemeHandler;
  requirement: PaymentRequirements;
  quote: Quote;
}

/**
 * Every offer, in the vendor's order of preference, whose scheme is known and whose terms read
 * (the first of each scheme: a vendor offers a scheme once). Unreadable terms are skipped.
 * @example
 * const offers = readOffers(DEFAULT_SCHEMES, challenge.accepts);
 */
export function readOffers(registry: SchemeRegistry, accepts: readonly PaymentRequirements[]): ChosenOffer[] {
  const out: ChosenOffer[] = [];
  for (const requirement of accepts) {
    const handler = registry.get(requirement.scheme);
    if (!handler || out.some((o) => o.handler === handler)) continue;
    try {
      out.push({ handler, requirement, quote: handler.quote(requirement) });
    } catch {
      // Unreadable terms: try the next offer.
    }
  }
  return out;
}

/** The first offer {@link readOffers} finds, or null. */
export const chooseOffer = (registry: SchemeRegistry, accepts: readonly PaymentRequirements[]): ChosenOffer | null =>
  readOffers(registry, accepts)[0] ?? null;
