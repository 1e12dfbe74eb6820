/**
 * Reading a vendor's `extensions.payword` (docs/protocol.md 12.6): the range a receipt names, or a
 * refusal's reason and the chain's highest index at the vendor. It comes from the network, so every
 * field is checked and anything else dropped: a bad answer never throws, and never moves a wallet's
 * next index anywhere but up, within the chain.
 * @module
 */
import { MAX_CHAIN_LENGTH } from '../payword/chain.ts';
import { CHAIN_ID_PATTERN } from '../payword/commitment.ts';

/** The checked fields of a receipt's or refusal's `extensions.payword`. */
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

/** A refusal or release reason as a vendor may send it: 1 to 64 of `a-z 0-9 _ -`. */
export const ANSWER_REASON_PATTERN = /^[a-z0-9_-]{1,64}$/;

const count = (v: unknown, min: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= MAX_CHAIN_LENGTH;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The payword member of a receipt's or refusal's `extensions`, its well-formed fields only, or
 * undefined when there is no such object.
 * @example
 * paywordAnswer({ payword: { chainId, reason: 'already-spent', highestIndex: 9, extra: 1 } });
 * // { chainId, reason: 'already-spent', highestIndex: 9 }
 */
export function paywordAnswer(extensions: unknown): PaywordAnswer | undefined {
  const o = isRecord(extensions) ? extensions.payword : undefined;
  if (!isRecord(o)) return undefined;
  const out: PaywordAnswer = {};
  if (typeof o.chainId === 'string' && CHAIN_ID_PATTERN.test(o.chainId)) out.chainId = o.chainId;
  if (count(o.index, 1)) out.index = o.index;
  if (count(o.units, 1)) out.units = o.units;
  if (typeof o.reason === 'string' && ANSWER_REASON_PATTERN.test(o.reason)) out.reason = o.reason;
  if (count(o.highestIndex, 0)) out.highestIndex = o.highestIndex;
  if (o.released === true) out.released = true;
  return out;
}
