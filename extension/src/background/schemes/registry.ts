/**
 * The schemes this wallet can pay with, and the choice among a challenge's `accepts`.
 * @module
 */
import type { PaymentRequirements } from '@micromint/shared';
import { micromintScheme } from './micromint.ts';
import type { Quote, SchemeHandler } from './types.ts';

/** Scheme name -> handler. */
export type SchemeRegistry = ReadonlyMap<string, SchemeHandler>;

/** The schemes of this build. A `payword` handler goes here next. */
export const DEFAULT_SCHEMES: SchemeRegistry = new Map([[micromintScheme.scheme, micromintScheme]]);

/** The offer chosen from a challenge, with its handler and terms. */
export interface ChosenOffer {
  handler: SchemeHandler;
  requirement: PaymentRequirements;
  quote: Quote;
}

/**
 * The first offer, in the vendor's order of preference, whose scheme is known and whose terms read.
 * Returns null when none does.
 * @example
 * const offer = chooseOffer(DEFAULT_SCHEMES, challenge.accepts);
 */
export function chooseOffer(registry: SchemeRegistry, accepts: readonly PaymentRequirements[]): ChosenOffer | null {
  for (const requirement of accepts) {
    const handler = registry.get(requirement.scheme);
    if (!handler) continue;
    try {
      return { handler, requirement, quote: handler.quote(requirement) };
    } catch {
      // Unreadable terms: try the next offer.
    }
  }
  return null;
}
