/**
 * Batch matchers: which balls of a batch count (their hash starts with the epoch's fixed bits) and in which
 * slot they land, with the native kernel or the JavaScript loop (both give the same answer). The minting
 * threads use them on every ball they try; the broker's redemption on the first balls of a batch's coins.
 * @module
 */
import { hash } from 'node:crypto';
import { BALL_BYTES, PREIMAGE_BYTES, ballPreimage, fixedBitsMatch, setBall, slotOfDigest, type EpochParams } from '@micromint/shared';
import { nativeMintBatch, type MintKernel } from './native.ts';

type Shape = Pick<EpochParams, 't' | 'u' | 'v' | 'fixed'>;

/** Finds the balls of a batch that count: flat pairs (index in batch, slot = superbin * 2^v + subbin). */
export type BatchMatcher = (balls: Uint8Array) => ArrayLike<number>;

/** The JavaScript loop: one `crypto.hash` per ball. */
export function jsMatcher(key: Uint8Array, shape: Shape): BatchMatcher {
  const pre = ballPreimage(key);
  // Cheap exact pre-filter on the top t bits (t <= 24) before the shared, authoritative check.
  const shift = 24 - shape.t;
  const { fixed, v } = shape;
  return (balls) => {
    const pairs: number[] = [];
    for (let i = 0, at = 0; at < balls.length; i++, at += BALL_BYTES) {
      setBall(pre, balls.subarray(at, at + BALL_BYTES));
      const d = hash('sha256', pre, 'buffer');
      if (((d[0]! << 16) | (d[1]! << 8) | d[2]!) >>> shift !== fixed) continue;
      if (!fixedBitsMatch(shape, d)) continue;
      const s = slotOfDigest(shape, d);
      pairs.push(i, s.superbin * 2 ** v + s.subbin);
    }
    return pairs;
  };
}

/** The native kernel: one call per batch. */
function nativeMatcher(key: Uint8Array, shape: Shape): BatchMatcher {
  const prefix = ballPreimage(key).subarray(0, PREIMAGE_BYTES - BALL_BYTES);
  return (balls) => nativeMintBatch(prefix, balls, shape);
}

/**
 * The matcher of a kernel.
 * @example
 * const pairs = matcherOf('js', epoch.key, epoch)(balls); // [index, slot, index, slot, ...]
 */
export const matcherOf = (kernel: MintKernel, key: Uint8Array, shape: Shape): BatchMatcher =>
  kernel === 'native' ? nativeMatcher(key, shape) : jsMatcher(key, shape);
