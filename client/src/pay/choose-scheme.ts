/**
 * Which scheme pays, when a 402 offers coins, chains or both (docs/protocol.md 12.7). The rule is
 * the browser extension's (extension/src/background/choose-scheme.ts), written here once for the
 * Node client as a pure function of plain facts, so that it can move to `@micromint/shared` and
 * serve both wallets.
 *
 * Coins suit a site met once (no broker call, nothing held for it); a chain suits a site the
 * reader comes back to (one broker call and one signature per chain, then one hash a payment).
 * In order:
 * 1. an open chain for this vendor, key and value with enough links pays with links;
 * 2. else a chain is opened when chains are on, the method is known (the MAC binds it), the wallet
 *    key is connected at the offer's broker, a chain of at least this payment fits under the most
 *    held in chains, and either the reader comes back (this is at least the `openChainAfter`th paid
 *    request at the site within a day) or coins cannot pay (not offered, or too few);
 * 3. else coins, when offered;
 * 4. else nothing, and why no chain.
 * @module
 */

/** The coin offer, as the wallet sees it. */
export interface CoinFacts {
  /** What the price costs in coins, in mills. */
  mills: number;
  /** Coins the wallet can make for this vendor (counted up to `mills` is enough). */
  makeable: number;
}

/** The chain offer, as the wallet sees it. */
export interface ChainFacts {
  /** units * value, in mills. */
  mills: number;
  units: number;
  /** Mills per link. */
  value: number;
  /** An open chain fits this payment. */
  chainFits: boolean;
  /** The wallet key is connected to the reader's account at the offer's broker. */
  connected: boolean;
  /** Mills the open chains hold now. */
  heldMills: number;
  /** The broker's most links per chain, when known. */
  maxLength?: number;
  /** The method of the request is known (always, for a script). */
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
  /** How long a new chain pays, in seconds (the broker's `maxExpirySeconds` caps it). */
  chainLifetimeSeconds: number;
}

/** The extension's defaults. */
export const DEFAULT_CHAIN_POLICY: Readonly<ChainPolicy> = Object.freeze({
  chainsEnabled: true,
  openChainAfter: 2,
  chainLinks: 100,
  maxHeldMills: 1000,
  chainLifetimeSeconds: 7 * 24 * 60 * 60,
});

/** What the choice weighs. */
export interface ChoiceInput {
  coins?: CoinFacts;
  chain?: ChainFacts;
  /** Paid requests at this site within the last day, before this one. */
  paidBefore: number;
  policy: ChainPolicy;
}

/** Why no chain can be opened. */
export type ChainBlock = 'chains-disabled' | 'not-connected' | 'method-unknown' | 'held-cap';

/** The scheme to pay with. */
export type Choice =
  | { scheme: 'payword'; action: 'link' }
  | { scheme: 'payword'; action: 'open'; length: number }
  | { scheme: 'micromint' }
  | { scheme: 'none'; reason: ChainBlock };

/**
 * Links in a new chain: `chainLinks`, at least the payment's `units`, at most the broker's
 * `maxLength`, shortened so all open chains stay within `maxHeldMills`; 0 when no chain of at least
 * `units` links fits.
 * @example
 * newChainLength({ units: 1, value: 1, chainLinks: 100, heldMills: 950, maxHeldMills: 1000 }); // 50
 */
export function newChainLength(o: {
  units: number;
  value: number;
  chainLinks: number;
  heldMills: number;
  maxHeldMills: number;
  maxLength?: number;
}): number {
  const wanted = Math.max(o.units, o.chainLinks);
  const room = Math.floor((o.maxHeldMills - o.heldMills) / o.value);
  const length = Math.min(wanted, o.maxLength ?? wanted, room);
  return length >= o.units && length >= 1 ? length : 0;
}

/** Why a chain cannot be opened for this payment, or its length. */
export function planChain(chain: ChainFacts, policy: ChainPolicy): { length: number } | { block: ChainBlock } {
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
 * The scheme for one payment (see the module's rules).
 * @example
 * chooseScheme({ coins: { mills: 1, makeable: 50 }, chain: facts, paidBefore: 1, policy: DEFAULT_CHAIN_POLICY }); // opens a chain: the second request
 */
export function chooseScheme(input: ChoiceInput): Choice {
  const { coins, chain, policy } = input;
  if (!chain) return { scheme: 'micromint' }; // the caller reads at least one offer
  if (chain.chainFits && chain.methodKnown) return { scheme: 'payword', action: 'link' };
  const plan = planChain(chain, policy);
  const returning = input.paidBefore + 1 >= policy.openChainAfter;
  const coinsShort = !coins || coins.makeable < coins.mills;
  if ('length' in plan && (returning || coinsShort)) return { scheme: 'payword', action: 'open', length: plan.length };
  if (coins) return { scheme: 'micromint' };
  return { scheme: 'none', reason: 'block' in plan ? plan.block : 'held-cap' };
}

/**
 * How long a new chain pays, in seconds: the policy's lifetime, never beyond the broker's
 * `maxExpirySeconds`, less a minute (at most a tenth of it) for a broker clock behind ours.
 * @example
 * chainLifetime(7 * 86_400, 2_592_000); // 604800
 */
export function chainLifetime(lifetimeSeconds: number, maxExpirySeconds: number): number {
  const skew = Math.min(60, Math.floor(maxExpirySeconds / 10));
  return Math.max(1, Math.min(lifetimeSeconds, maxExpirySeconds - skew));
}
