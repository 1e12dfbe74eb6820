/**
 * Which ball x the minter tries for counter c: x_c = AES-128_seed(uint128be(c)), one block of AES-CTR keystream.
 *
 * Why not simply x = 0^8 || c: the epoch key is public from the start of the epoch, so anyone could repeat
 * the broker's run and obtain the very same ball in every slot; the broker's exact-ball check at redemption
 * would then accept such copies (e.g. of another user's sold set). With a secret seed the balls are
 * unpredictable, distinct for distinct counters (AES is a permutation), and a ball seen in a coin tells
 * nothing about the seed or the other balls. The keystream is made in bulk, so it costs next to nothing
 * beside the SHA-256 per ball; the run stays deterministic for a given (key, seed), whatever the threads.
 * @module
 */
import { createCipheriv } from 'node:crypto';
import { BALL_BYTES, abytes } from '@micromint/shared';

/** Bytes of the secret ball seed. */
export const SEED_BYTES = 16;

const block = (counter: number): Buffer => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(Math.floor(counter / 2 ** 32), 8);
  b.writeUInt32BE(counter >>> 0, 12);
  return b;
};

/**
 * A stream of balls from `start` on: each call returns the next `n` balls (16 bytes each, consecutive counters).
 * @example
 * const next = ballStream(seed, 1000);
 * const balls = next(65536); // balls of counters 1000 .. 66535
 */
export function ballStream(seed: Uint8Array, start: number): (n: number) => Buffer {
  abytes(seed, SEED_BYTES, 'seed');
  const cipher = createCipheriv('aes-128-ctr', seed, block(start));
  let zeros = Buffer.alloc(0);
  return (n: number) => {
    if (zeros.length < n * BALL_BYTES) zeros = Buffer.alloc(n * BALL_BYTES);
    return cipher.update(zeros.subarray(0, n * BALL_BYTES));
  };
}

/** The balls of the given counters, concatenated (16 bytes each), in one AES pass. */
export function ballsOfCounters(seed: Uint8Array, counters: ArrayLike<number>): Uint8Array {
  abytes(seed, SEED_BYTES, 'seed');
  const blocks = Buffer.alloc(counters.length * BALL_BYTES);
  for (let i = 0; i < counters.length; i++) {
    const c = counters[i]!;
    blocks.writeUInt32BE(Math.floor(c / 2 ** 32), i * BALL_BYTES + 8);
    blocks.writeUInt32BE(c >>> 0, i * BALL_BYTES + 12);
  }
  const ecb = createCipheriv('aes-128-ecb', seed, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([ecb.update(blocks), ecb.final()]));
}

/** The ball of one counter. */
export const ballOfCounter = (seed: Uint8Array, counter: number): Uint8Array => ballsOfCounters(seed, [counter]);
