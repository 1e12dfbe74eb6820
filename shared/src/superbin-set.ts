/**
 * Superbin sets: what a user buys. A set is k superbins sb_1..sb_k chosen from the user's offsets,
 * with every ball the broker minted into them. The wallet builds vendor-specific coins from it.
 * @module
 */
import { aint } from './assert.ts';
import { concat, toHex } from './bytes.ts';
import { hashBall, slotOfDigest } from './hash.ts';
import { positions, userOffsets } from './offsets.ts';
import { BALL_BYTES, type EpochParams } from './params.ts';

/** A set of k superbins; `balls[i]` maps a sub-bin of `superbins[i]` to the ball minted there. */
export interface SuperbinSet {
  superbins: number[];
  balls: Map<number, Uint8Array>[];
}

/** The k superbins of the set that starts at `first` for `userId`. */
export const setSuperbins = (p: EpochParams, userId: string, first: number): number[] => positions(first, userOffsets(p, userId), p.u);

/**
 * The coin for the vendor with offsets `vh` that starts at sub-bin `s1` of the first superbin,
 * or null when one of its k slots is empty.
 */
export function buildCoin(p: EpochParams, set: SuperbinSet, vh: readonly number[], s1: number): Uint8Array | null {
  const subbins = positions(s1, vh, p.v);
  const balls: Uint8Array[] = [];
  for (let i = 0; i < p.k; i++) {
    const ball = set.balls[i]?.get(subbins[i]!);
    if (!ball) return null;
    balls.push(ball);
  }
  return concat(...balls);
}

/** Sub-bins of the first superbin whose ball completes a coin for the vendor with offsets `vh`. */
export function coinStarts(p: EpochParams, set: SuperbinSet, vh: readonly number[]): number[] {
  const out: number[] = [];
  for (const s1 of [...(set.balls[0]?.keys() ?? [])].sort((a, b) => a - b)) {
    if (buildCoin(p, set, vh, s1)) out.push(s1);
  }
  return out;
}

/**
 * Encodes sets as the data of a Funds-Withdrawn message. Per set: u32be sb_1, then for each of the
 * k superbins a bitmap of 2^v bits (bit s set when sub-bin s holds a ball, most significant bit
 * first) followed by the 16-byte balls of the set bits in increasing sub-bin order.
 */
export function encodeSets(p: EpochParams, sets: readonly SuperbinSet[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const bitmapBytes = 2 ** p.v / 8;
  for (const set of sets) {
    if (set.superbins.length !== p.k || set.balls.length !== p.k) throw new RangeError('a set must have k superbins');
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, set.superbins[0]!);
    parts.push(head);
    for (const bin of set.balls) {
      const bitmap = new Uint8Array(bitmapBytes);
      const subs = [...bin.keys()].sort((a, b) => a - b);
      for (const s of subs) {
        aint(s, 0, 2 ** p.v - 1, 'sub-bin');
        bitmap[s >>> 3]! |= 0x80 >>> (s & 7);
      }
      parts.push(bitmap, ...subs.map((s) => bin.get(s)!));
    }
  }
  return concat(...parts);
}

/**
 * Decodes the data of a Funds-Withdrawn message and checks every ball: it must count (fixed bits)
 * and hash into the superbin and sub-bin it is filed under. Throws `RangeError` on the first fault.
 */
export function decodeSets(p: EpochParams, userId: string, data: Uint8Array): SuperbinSet[] {
  const bitmapBytes = 2 ** p.v / 8;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const sets: SuperbinSet[] = [];
  const seen = new Set<number>();
  let at = 0;
  const need = (n: number) => {
    if (at + n > data.length) throw new RangeError('superbin set data is truncated');
  };
  while (at < data.length) {
    need(4);
    const first = view.getUint32(at);
    at += 4;
    if (first >= 2 ** p.u) throw new RangeError('superbin out of range');
    const superbins = setSuperbins(p, userId, first);
    for (const sb of superbins) {
      if (seen.has(sb)) throw new RangeError(`superbin ${sb} appears in two sets`);
      seen.add(sb);
    }
    const balls: Map<number, Uint8Array>[] = [];
    for (let i = 0; i < p.k; i++) {
      need(bitmapBytes);
      const bitmap = data.subarray(at, at + bitmapBytes);
      at += bitmapBytes;
      const bin = new Map<number, Uint8Array>();
      for (let s = 0; s < 2 ** p.v; s++) {
        if (!(bitmap[s >>> 3]! & (0x80 >>> (s & 7)))) continue;
        need(BALL_BYTES);
        const ball = data.slice(at, at + BALL_BYTES);
        at += BALL_BYTES;
        const slot = slotOfDigest(p, hashBall(p.key, ball));
        if (!slot.fixedOk || slot.superbin !== superbins[i] || slot.subbin !== s)
          throw new RangeError(`ball ${toHex(ball)} is not in superbin ${superbins[i]} sub-bin ${s}`);
        bin.set(s, ball);
      }
      balls.push(bin);
    }
    sets.push({ superbins, balls });
  }
  return sets;
}
