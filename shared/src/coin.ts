/**
 * A coin: k balls x_1..x_k (16 bytes each, 16k bytes on the wire) for one user and one vendor.
 * Ball i lies in superbin sb_i of the user's set and in sub-bin s_i, with
 * sb_(i+1) = sb_i + uh_i (mod 2^u) and s_(i+1) = s_i + vh_i (mod 2^v).
 * A coin is identified, for double spending, by its epoch and its first ball.
 * @module
 */
import { abytes, astring } from './assert.ts';
import { toHex } from './bytes.ts';
import { hashBall, slotOfDigest } from './hash.ts';
import { userOffsets, vendorOffsets } from './offsets.ts';
import { BALL_BYTES, type EpochParams } from './params.ts';
import type { RefusalReason } from './reasons.ts';

/** Bytes of a coin of epoch `p`. */
export const coinBytes = (p: Pick<EpochParams, 'k'>): number => p.k * BALL_BYTES;

/** The k balls of an encoded coin (views into `coin`). Throws `RangeError` on a wrong length. */
export function coinBalls(p: Pick<EpochParams, 'k'>, coin: Uint8Array): Uint8Array[] {
  abytes(coin, coinBytes(p), 'coin');
  const balls: Uint8Array[] = [];
  for (let i = 0; i < p.k; i++) balls.push(coin.subarray(i * BALL_BYTES, (i + 1) * BALL_BYTES));
  return balls;
}

/** The double-spending identity of a coin: hex of its first ball (unique within an epoch). */
export function coinId(coin: Uint8Array): string {
  abytes(coin);
  if (coin.length < BALL_BYTES) throw new RangeError('coin is too short');
  return toHex(coin.subarray(0, BALL_BYTES));
}

/** The outcome of checking a coin. */
export type CoinCheck = { ok: true; id: string; superbins: number[]; subbins: number[] } | { ok: false; reason: RefusalReason };

/**
 * Checks a coin with k hashes, as a vendor does: every ball counts (fixed bits), the superbin steps
 * are the user's offsets, the sub-bin steps are the vendor's, and no ball repeats.
 * It cannot tell a forged ball from the broker's own: only the broker's mint records can.
 * @example
 * const check = verifyCoin(epoch, coin, 'u_alice', 'http://127.0.0.1:4001');
 * if (!check.ok) console.log(check.reason);
 */
export function verifyCoin(
  p: EpochParams,
  coin: Uint8Array,
  userId: string,
  vendorId: string,
  offsets: { user?: readonly number[]; vendor?: readonly number[] } = {},
): CoinCheck {
  if (!(coin instanceof Uint8Array) || coin.length !== coinBytes(p)) return { ok: false, reason: 'malformed' };
  astring(userId, 'userId', 512);
  astring(vendorId, 'vendorId', 512);
  const uh = offsets.user ?? userOffsets(p, userId);
  const vh = offsets.vendor ?? vendorOffsets(p, vendorId);
  const balls = coinBalls(p, coin);
  const seen = new Set<string>();
  const superbins: number[] = [];
  const subbins: number[] = [];
  for (const ball of balls) {
    const hex = toHex(ball);
    if (seen.has(hex)) return { ok: false, reason: 'duplicate-ball' };
    seen.add(hex);
    const slot = slotOfDigest(p, hashBall(p.key, ball));
    if (!slot.fixedOk) return { ok: false, reason: 'fixed-bits' };
    superbins.push(slot.superbin);
    subbins.push(slot.subbin);
  }
  const uMod = 2 ** p.u;
  const vMod = 2 ** p.v;
  for (let i = 0; i < p.k - 1; i++) {
    if ((superbins[i]! + uh[i]!) % uMod !== superbins[i + 1]) return { ok: false, reason: 'wrong-user' };
  }
  for (let i = 0; i < p.k - 1; i++) {
    if ((subbins[i]! + vh[i]!) % vMod !== subbins[i + 1]) return { ok: false, reason: 'wrong-vendor' };
  }
  return { ok: true, id: toHex(balls[0]!), superbins, subbins };
}

/**
 * A verifier bound to one epoch and one vendor that caches user offsets (one SHA-256 or more each).
 * @example
 * const check = coinVerifier(epoch, vendorId);
 * check(coin, userId); // { ok: true, id, ... }
 */
export function coinVerifier(p: EpochParams, vendorId: string, cacheSize = 10_000) {
  const vendor = vendorOffsets(p, vendorId);
  const users = new Map<string, number[]>();
  return (coin: Uint8Array, userId: string): CoinCheck => {
    let user = users.get(userId);
    if (!user) {
      astring(userId, 'userId', 512);
      user = userOffsets(p, userId);
      if (users.size >= cacheSize) users.delete(users.keys().next().value!);
      users.set(userId, user);
    }
    return verifyCoin(p, coin, userId, vendorId, { user, vendor });
  };
}
