/**
 * Reading a vendor's `extensions.payword` (docs/protocol.md 12.6): the range a receipt names,
 * or a refusal's reason and the chain's highest index at the vendor. It comes from the network, so
 * every field is checked and anything else is dropped: a bad answer never throws, and never moves
 * the wallet's next index anywhere but up, within the chain.
 * @module
 */
import { CHAIN_ID_PATTERN, MAX_CHAIN_LENGTH } from '@micromint/shared';

/** The checked fields of `extensions.payword`. */
export interface PaywordAnswer {
  chainId?: string;
  index?: number;
  units?: number;
  reason?: string;
  /** The highest index the vendor holds of the chain (a refusal of a chain it knows). */
  highestIndex?: number;
  /** A receipt that gives the range back untaken. */
  released?: boolean;
}

const count = (v: unknown, min: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= MAX_CHAIN_LENGTH;

/**
 * The payword entry of a receipt's or refusal's `extensions`, or undefined when there is none.
 * @example
 * paywordAnswer({ payword: { chainId, reason: 'already-spent', highestIndex: 9 } }); // { chainId, reason: 'already-spent', highestIndex: 9 }
 */
export function paywordAnswer(extensions: unknown): PaywordAnswer | undefined {
  const pw = (extensions as { payword?: unknown } | null | undefined)?.payword;
  if (typeof pw !== 'object' || pw === null || Array.isArray(pw)) return undefined;
  const o = pw as Record<string, unknown>;
  const out: PaywordAnswer = {};
  if (typeof o.chainId === 'string' && CHAIN_ID_PATTERN.test(o.chainId)) out.chainId = o.chainId;
  if (count(o.index, 1)) out.index = o.index;
  if (count(o.units, 1)) out.units = o.units;
  if (typeof o.reason === 'string' && /^[a-z0-9_-]{1,64}$/.test(o.reason)) out.reason = o.reason;
  if (count(o.highestIndex, 0)) out.highestIndex = o.highestIndex;
  if (o.released === true) out.released = true;
  return out;
}
