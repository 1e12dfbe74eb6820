/**
 * The terms of a chain a wallet proposes to its broker: how many links, and for how long. The
 * choice of scheme sizes a chain with these rules, and the opener sizes it again against what is
 * held when its turn comes, so both agree.
 * @module
 */

/** What sizing a new chain weighs. */
export interface ChainLengthInput {
  /** Links the payment being made costs. */
  units: number;
  /** Mills per link. */
  value: number;
  /** The reader's links in a new chain. */
  chainLinks: number;
  /** Mills the open chains hold now. */
  heldMills: number;
  /** The reader's cap on what all open chains hold, in mills. */
  maxHeldMills: number;
  /** The broker's most links per chain, when known. */
  maxLength?: number;
}

/**
 * Links in a new chain: `chainLinks`, at least the payment's `units`, at most the broker's
 * `maxLength`, shortened so all open chains stay within `maxHeldMills`; 0 when no chain of at least
 * `units` links fits (a chain is at least one payment's worth, or not worth its broker call).
 * @example
 * newChainLength({ units: 1, value: 1, chainLinks: 100, heldMills: 950, maxHeldMills: 1000 }); // 50
 * newChainLength({ units: 150, value: 1, chainLinks: 100, heldMills: 0, maxHeldMills: 1000 }); // 150
 */
export function newChainLength(o: ChainLengthInput): number {
  const wanted = Math.max(o.units, o.chainLinks);
  const room = Math.floor((o.maxHeldMills - o.heldMills) / o.value);
  const length = Math.min(wanted, o.maxLength ?? wanted, room);
  return length >= o.units && length >= 1 ? length : 0;
}

/** Seconds a proposal stays below the broker's `maxExpirySeconds`, for clocks that differ a little (at most a tenth of it). */
export const EXPIRY_SKEW_SECONDS = 60;

/**
 * How long a new chain pays, in seconds: the reader's lifetime, never beyond the broker's
 * `maxExpirySeconds` (the broker refuses a later `expiresAt` as `bad_expiry`), less a little room
 * for a broker clock behind the wallet's; at least 1.
 * @example
 * chainLifetime(7 * 86_400, 2_592_000); // 604800
 * chainLifetime(7 * 86_400, 3600); // 3540
 */
export function chainLifetime(lifetimeSeconds: number, maxExpirySeconds: number): number {
  const skew = Math.min(EXPIRY_SKEW_SECONDS, Math.floor(maxExpirySeconds / 10));
  return Math.max(1, Math.min(lifetimeSeconds, maxExpirySeconds - skew));
}
