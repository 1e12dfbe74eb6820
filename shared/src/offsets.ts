/**
 * User offsets h'(UID) and vendor offsets h''(VID).
 *
 * Offsets are drawn from SHA-256("MMv1/<role>-offsets" || 0x00 || u32be(counter) || utf8(id)):
 * k-1 big-endian 32-bit words, each reduced mod 2^bits (exact, since 2^bits divides 2^32).
 * A draw is kept only when every partial sum of the offsets is non-zero and all partial sums
 * are distinct mod 2^bits, so the k roles of a set land in k different superbins (sub-bins);
 * otherwise the counter goes up by one and we draw again.
 * @module
 */
import { sha256 } from './hash.ts';
import { aint, astring } from './assert.ts';
import { concat, utf8 } from './bytes.ts';
import type { EpochParams } from './params.ts';

/** Which identity the offsets are drawn for. */
export type OffsetRole = 'user' | 'vendor';

const MAX_DRAWS = 1 << 16;

/**
 * Derives k-1 offsets for `id`, each in [0, 2^bits), with distinct non-zero partial sums.
 * @example
 * deriveOffsets('user', 'u_alice', 4, 10); // e.g. [731, 18, 402]
 */
export function deriveOffsets(role: OffsetRole, id: string, k: number, bits: number): number[] {
  if (role !== 'user' && role !== 'vendor') throw new RangeError('role must be user or vendor');
  astring(id, `${role} id`, 512);
  aint(k, 2, 8, 'k');
  aint(bits, 1, 32, 'bits');
  if (2 ** bits < k) throw new RangeError(`2^${bits} bins cannot hold ${k} distinct roles`);
  const tag = utf8(`MMv1/${role}-offsets`);
  const idBytes = utf8(id);
  const modulus = 2 ** bits;
  for (let counter = 0; counter < MAX_DRAWS; counter++) {
    const ctr = new Uint8Array(4);
    new DataView(ctr.buffer).setUint32(0, counter);
    const digest = sha256(concat(tag, new Uint8Array([0]), ctr, idBytes));
    const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
    const offsets: number[] = [];
    for (let i = 0; i < k - 1; i++) offsets.push(view.getUint32(4 * i) % modulus);
    if (distinctPartialSums(offsets, modulus)) return offsets;
  }
  throw new RangeError(`no valid offsets for ${role} ${id}`); // unreachable for any sane k and bits
}

function distinctPartialSums(offsets: number[], modulus: number): boolean {
  const seen = new Set<number>([0]);
  let sum = 0;
  for (const o of offsets) {
    sum = (sum + o) % modulus;
    if (seen.has(sum)) return false;
    seen.add(sum);
  }
  return true;
}

/**
 * The k positions reached from `start` by the offsets: start, start+o1, start+o1+o2, ... (mod 2^bits).
 * @example
 * positions(1020, [3, 5, 7], 10); // [1020, 1023, 4, 11]
 */
export function positions(start: number, offsets: readonly number[], bits: number): number[] {
  const modulus = 2 ** bits;
  const out = [start];
  let at = start;
  for (const o of offsets) {
    at = (at + o) % modulus;
    out.push(at);
  }
  return out;
}

/** User offsets uh_1..uh_(k-1) over superbins (mod 2^u). */
export const userOffsets = (p: Pick<EpochParams, 'k' | 'u'>, userId: string): number[] => deriveOffsets('user', userId, p.k, p.u);

/** Vendor offsets vh_1..vh_(k-1) over sub-bins (mod 2^v). */
export const vendorOffsets = (p: Pick<EpochParams, 'k' | 'v'>, vendorId: string): number[] => deriveOffsets('vendor', vendorId, p.k, p.v);
