/**
 * Which scheme pays a site, when its challenge offers coins, chains or both (docs/protocol.md
 * 12.7): coins suit a site read once (no broker call, no money held for it); a chain suits a site
 * the reader comes back to (one broker call and one signature per chain, then a hash per page).
 * A small pure decision, like decide.ts; the facts come from the wallet.
 *
 * The rules, in order:
 * 1. an open chain for this vendor (same key and value, not expiring within a minute) with enough
 *    links pays a link, whatever else is offered (links of a chain already held are the reader's
 *    money for this site);
 * 2. else a chain is opened when the wallet is connected to the offer's broker, chains are on, the
 *    request's method is known (the link's MAC binds it), a chain of at least this page fits under
 *    `maxHeldMills`, and either the reader comes back (this is at least the `openChainAfterPages`th
 *    paid page at the site within a day), or coins cannot pay (the site offers no coins, or the
 *    wallet cannot make enough for it);
 * 3. else coins, when the site offers them;
 * 4. else nothing, and the reason a chain could not be opened.
 * @module
 */
import type { Settings } from './settings.ts';
import { chainLength } from './chain-terms.ts';

/** The coin offer's facts. */
export interface CoinFacts {
  /** Mills the price costs in coins. */
  mills: number;
  /** Mills of coins the wallet can make for this vendor. */
  makeable: number;
}

/** The chain offer's facts. */
export interface ChainFacts {
  /** Mills the price costs in links: units * value. */
  mills: number;
  units: number;
  /** Mills per link (`extra.linkValue`). */
  value: number;
  /** An open chain fits this payment (rule 1). */
  chainFits: boolean;
  /** The broker's account page listed this wallet's key for the reader's account. */
  connected: boolean;
  /** Mills the open chains hold now. */
  heldMills: number;
  /** The broker's most links per chain, when known. */
  maxLength?: number;
  /** The flow knows the method of the request the payment goes on. */
  methodKnown: boolean;
}

/** What the choice weighs. */
export interface ChoiceInput {
  /** Set when the site offers coins the wallet can read. */
  coins?: CoinFacts;
  /** Set when the site offers chains the wallet can read. */
  chain?: ChainFacts;
  /** Paid pages at this site within the last day, before this one. */
  paidPages: number;
  settings: Pick<Settings, 'chainsEnabled' | 'openChainAfterPages' | 'chainLinks' | 'maxHeldMills'>;
}

/** Why no chain can be opened. */
export type ChainBlock = 'chains-disabled' | 'not-connected' | 'method-unknown' | 'held-cap';

/** The scheme to pay with. */
export type Choice =
  | { scheme: 'payword'; action: 'link' }
  /** Open a chain of `length` links first. */
  | { scheme: 'payword'; action: 'open'; length: number }
  | { scheme: 'micromint' }
  | { scheme: 'none'; reason: ChainBlock };

/** Why a chain cannot be opened for this payment, or its length. */
export function chainPlan(chain: ChainFacts, settings: ChoiceInput['settings']): { length: number } | { block: ChainBlock } {
  if (!settings.chainsEnabled) return { block: 'chains-disabled' };
  if (!chain.methodKnown) return { block: 'method-unknown' };
  if (!chain.connected) return { block: 'not-connected' };
  const length = chainLength({
    units: chain.units,
    value: chain.value,
    chainLinks: settings.chainLinks,
    heldMills: chain.heldMills,
    maxHeldMills: settings.maxHeldMills,
    ...(chain.maxLength !== undefined ? { maxLength: chain.maxLength } : {}),
  });
  return length > 0 ? { length } : { block: 'held-cap' };
}

/**
 * The scheme for one payment (see the module's rules).
 * @example
 * chooseScheme({ coins: { mills: 1, makeable: 50 }, chain: { ...facts, connected: true }, paidPages: 1, settings }); // open a chain: the second page
 */
export function chooseScheme(input: ChoiceInput): Choice {
  const { coins, chain, settings } = input;
  if (chain?.chainFits && chain.methodKnown) return { scheme: 'payword', action: 'link' };
  if (chain) {
    const plan = chainPlan(chain, settings);
    const returning = input.paidPages + 1 >= settings.openChainAfterPages;
    const coinsShort = !coins || coins.makeable < coins.mills;
    if ('length' in plan && (returning || coinsShort)) return { scheme: 'payword', action: 'open', length: plan.length };
    if (!coins) return { scheme: 'none', reason: 'block' in plan ? plan.block : 'held-cap' };
  }
  return { scheme: 'micromint' };
}
