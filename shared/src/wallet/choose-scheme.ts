/**
 * Which scheme pays, when a 402 offers coins, chains or both (docs/protocol.md 12.7): one rule for
 * every wallet, a pure function of facts the wallet gathers. Coins suit a site met once (no broker
 * call, nothing held for it); a chain suits a site the reader comes back to (one broker call and one
 * signature per chain, then one hash a payment).
 *
 * The rules, in order:
 * 1. an open chain for this vendor (same key and value, not expiring within a minute) with enough
 *    links pays a link, whatever else is offered: links of a chain already held are the reader's
 *    money for this site;
 * 2. else a chain is opened when chains are on, the request's method is known (the link's MAC
 *    binds it), the wallet key is connected at the offer's broker, a chain of at least this payment
 *    fits under `maxHeldMills`, and either the reader comes back (this is at least the
 *    `openChainAfter`th paid request at the site within a day) or coins cannot pay (none offered,
 *    or the wallet cannot make enough);
 * 3. else coins, when offered;
 * 4. else nothing, and the reason a chain could not be opened.
 * @module
 */
import { newChainLength } from './chain-terms.ts';

/** The coin offer, as the wallet sees it. */
export interface CoinFacts {
  /** What the price costs in coins, in mills. */
  mills: number;
  /** Mills of coins the wallet can make for this vendor (counting up to `mills` is enough). */
  makeable: number;
}

/** The chain offer, as the wallet sees it. */
export interface ChainFacts {
  /** What the price costs in links, in mills: units * value. */
  mills: number;
  units: number;
  /** Mills per link (`extra.linkValue`). */
  value: number;
  /** An open chain fits this payment (rule 1). */
  chainFits: boolean;
  /** The wallet key is connected to the reader's account at the offer's broker. */
  connected: boolean;
  /** Mills the open chains hold now. */
  heldMills: number;
  /** The broker's most links per chain, when known. */
  maxLength?: number;
  /** The method of the request the payment goes on is known. */
  methodKnown: boolean;
}

/** The reader's chain policy. */
export interface ChainPolicy {
  /** Open chains at all (links of chains already open are spent either way). */
  chainsEnabled: boolean;
  /** A chain is opened from this paid request at a site within a day on (2: from the second). */
  openChainAfter: number;
  /** Links in a new chain (a payment needing more opens one of exactly that many). */
  chainLinks: number;
  /** The most all open chains may hold together, in mills. */
  maxHeldMills: number;
  /** How long a new chain pays, in seconds (the broker's `maxExpirySeconds` caps it, see `chainLifetime`). */
  chainLifetimeSeconds: number;
}

/** The defaults of both wallets: a chain of 100 links from the second paid request, at most $1 held in chains, for a week. */
export const DEFAULT_CHAIN_POLICY: Readonly<ChainPolicy> = Object.freeze({
  chainsEnabled: true,
  openChainAfter: 2,
  chainLinks: 100,
  maxHeldMills: 1000,
  chainLifetimeSeconds: 7 * 24 * 60 * 60,
});

/** The parts of the policy the choice reads. */
export type ChoicePolicy = Pick<ChainPolicy, 'chainsEnabled' | 'openChainAfter' | 'chainLinks' | 'maxHeldMills'>;

/** What the choice weighs. */
export interface ChoiceInput {
  /** Set when the site offers coins the wallet can read. */
  coins?: CoinFacts | undefined;
  /** Set when the site offers chains the wallet can read. */
  chain?: ChainFacts | undefined;
  /** Paid requests at this site within the last day, before this one. */
  paidBefore: number;
  policy: ChoicePolicy;
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

/**
 * Why a chain cannot be opened for this payment, or the length of the one to open.
 * @example
 * planChain({ ...facts, connected: false }, DEFAULT_CHAIN_POLICY); // { block: 'not-connected' }
 */
export function planChain(chain: ChainFacts, policy: ChoicePolicy): { length: number } | { block: ChainBlock } {
  if (!policy.chainsEnabled) return { block: 'chains-disabled' };
  if (!chain.methodKnown) return { block: 'method-unknown' };
  if (!chain.connected) return { block: 'not-connected' };
  const length = newChainLength({
    units: chain.units,
    value: chain.value,
    chainLinks: policy.chainLinks,
    heldMills: chain.heldMills,
    maxHeldMills: policy.maxHeldMills,
    ...(chain.maxLength !== undefined ? { maxLength: chain.maxLength } : {}),
  });
  return length > 0 ? { length } : { block: 'held-cap' };
}

/**
 * The scheme for one payment (see the module's rules). With neither offer it answers coins: the
 * caller reads at least one.
 * @example
 * chooseScheme({ coins: { mills: 1, makeable: 50 }, chain: facts, paidBefore: 1, policy: DEFAULT_CHAIN_POLICY });
 * // { scheme: 'payword', action: 'open', length: 100 }: the second paid request
 */
export function chooseScheme(input: ChoiceInput): Choice {
  const { coins, chain, policy } = input;
  if (!chain) return { scheme: 'micromint' };
  if (chain.chainFits && chain.methodKnown) return { scheme: 'payword', action: 'link' };
  const plan = planChain(chain, policy);
  const returning = input.paidBefore + 1 >= policy.openChainAfter;
  const coinsShort = !coins || coins.makeable < coins.mills;
  if ('length' in plan && (returning || coinsShort)) return { scheme: 'payword', action: 'open', length: plan.length };
  if (coins) return { scheme: 'micromint' };
  return { scheme: 'none', reason: 'block' in plan ? plan.block : 'held-cap' };
}
