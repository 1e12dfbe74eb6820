/**
 * The terms of a chain the wallet proposes: how many links, and until when. Pure, so the rules
 * are tested on their own and the choice of scheme and the opener agree on them.
 * @module
 */

/** What sizing a new chain weighs. */
export interface LengthInput {
  /** Links the page being paid costs. */
  units: number;
  /** Mills per link. */
  value: number;
  /** The reader's setting: links in a new chain. */
  chainLinks: number;
  /** Mills the open chains hold now. */
  heldMills: number;
  /** The reader's cap on what all open chains hold. */
  maxHeldMills: number;
  /** The broker's `maxLength`, when known. */
  maxLength?: number;
}

/**
 * Links in a new chain: `chainLinks` (at least the page's `units`, at most the broker's
 * `maxLength`), shortened so that all open chains stay within `maxHeldMills`; 0 when no chain of
 * at least `units` links fits. A chain is at least one page's worth, or not worth its broker call.
 * @example
 * chainLength({ units: 1, value: 1, chainLinks: 100, heldMills: 950, maxHeldMills: 1000 }); // 50
 */
export function chainLength(o: LengthInput): number {
  let length = Math.max(o.units, o.chainLinks);
  if (o.maxLength !== undefined) length = Math.min(length, o.maxLength);
  const room = Math.floor((o.maxHeldMills - o.heldMills) / o.value);
  length = Math.min(length, room);
  return length >= o.units && length >= 1 ? length : 0;
}

/** Seconds a proposal stays below the broker's `maxExpirySeconds`, for clocks that differ a little (at most a tenth of it). */
export const EXPIRY_SKEW_SECONDS = 60;

/**
 * How long a new chain pays, in seconds: the reader's `chainLifetimeSeconds`, but never beyond the
 * broker's `maxExpirySeconds` (the broker refuses a later `expiresAt` as `bad_expiry`), with a
 * little room for a broker clock behind the wallet's.
 * @example
 * chainLifetime(7 * 86_400, 2_592_000); // 604800
 */
export function chainLifetime(chainLifetimeSeconds: number, maxExpirySeconds: number): number {
  const skew = Math.min(EXPIRY_SKEW_SECONDS, Math.floor(maxExpirySeconds / 10));
  return Math.max(1, Math.min(chainLifetimeSeconds, maxExpirySeconds - skew));
}
