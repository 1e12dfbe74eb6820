/**
 * The epoch's hash h: a ball x goes to bin y = the top n bits of SHA-256("MMv1" || K_e || x).
 * The preimage is 4 + 32 + 16 = 52 bytes, so one SHA-256 compression covers it.
 * @module
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { abytes } from './assert.ts';
import { readBits } from './bytes.ts';
import { BALL_BYTES, EPOCH_KEY_BYTES, type EpochParams } from './params.ts';
import { nodeSha256, type Sha256 } from './sha256-node.ts';

/**
 * SHA-256 of `data`: Node's native one where there is one, else `@noble/hashes` (browsers, the
 * extension). The same 32 bytes either way; see sha256-node.ts.
 * @example
 * toHex(sha256(utf8('abc'))); // 'ba7816bf…'
 */
export const sha256: Sha256 = nodeSha256() ?? nobleSha256;

/** Domain tag that starts every ball preimage ("MMv1"). */
export const BALL_DOMAIN = new Uint8Array([0x4d, 0x4d, 0x76, 0x31]);
/** Length of a ball preimage. */
export const PREIMAGE_BYTES = BALL_DOMAIN.length + EPOCH_KEY_BYTES + BALL_BYTES;

/**
 * A reusable preimage buffer for `key`; write a ball into its last 16 bytes with {@link setBall}.
 * Minting loops use this with Node's native SHA-256 and reuse it for every ball.
 */
export function ballPreimage(key: Uint8Array): Uint8Array {
  abytes(key, EPOCH_KEY_BYTES, 'key');
  const buf = new Uint8Array(PREIMAGE_BYTES);
  buf.set(BALL_DOMAIN, 0);
  buf.set(key, BALL_DOMAIN.length);
  return buf;
}

/** Writes ball `x` into a preimage made by {@link ballPreimage}. */
export function setBall(preimage: Uint8Array, x: Uint8Array): void {
  preimage.set(x, PREIMAGE_BYTES - BALL_BYTES);
}

/** The preimage {@link hashBall} writes each ball into (hashing is synchronous, so one is enough). */
const scratch = ballPreimage(new Uint8Array(EPOCH_KEY_BYTES));

/**
 * SHA-256 digest of ball `x` under the epoch key (a new array each call).
 * @example
 * const digest = hashBall(new Uint8Array(32), new Uint8Array(16)); // 32 bytes
 */
export function hashBall(key: Uint8Array, x: Uint8Array): Uint8Array {
  abytes(key, EPOCH_KEY_BYTES, 'key');
  abytes(x, BALL_BYTES, 'ball');
  scratch.set(key, BALL_DOMAIN.length);
  setBall(scratch, x);
  return sha256(scratch);
}

/** Where a ball's hash lands. `fixedOk` is false for a hash that does not count as a ball. */
export interface Slot {
  fixedOk: boolean;
  superbin: number;
  subbin: number;
}

type Shape = Pick<EpochParams, 't' | 'u' | 'v' | 'fixed'>;

/** Reads the slot of a digest: top t bits against the fixed pattern, then u superbin bits, then v sub-bin bits. */
export function slotOfDigest(p: Shape, digest: Uint8Array): Slot {
  return {
    fixedOk: readBits(digest, 0, p.t) === p.fixed,
    superbin: readBits(digest, p.t, p.u),
    subbin: readBits(digest, p.t + p.u, p.v),
  };
}

/** True when the top t bits of `digest` equal the fixed pattern: the minting loop's cheap first filter. */
export const fixedBitsMatch = (p: Shape, digest: Uint8Array): boolean => readBits(digest, 0, p.t) === p.fixed;

/** The slot of ball `x` in epoch `p`. */
export const slotOfBall = (p: EpochParams, x: Uint8Array): Slot => slotOfDigest(p, hashBall(p.key, x));
