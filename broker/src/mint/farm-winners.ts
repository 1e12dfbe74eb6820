/**
 * What a farm worker writes back for a range: per slot it reached, the smallest counter of the range that
 * reached it, as 8-byte pairs (slot u32be, counter - first u32be). A range spans at most 2^32 counters, so the
 * offset fits; reading checks every pair against the range and the epoch's slots.
 * @module
 */
import { aint } from '@micromint/shared';
import type { RangeWinners } from './mint.ts';

/** Bytes per (slot, counter) pair. */
export const WINNER_BYTES = 8;

/** Most counters in one range: offsets are 32 bits. */
export const MAX_RANGE_COUNTERS = 2 ** 32;

/**
 * Packs the winners of the range that starts at counter `first`.
 * @example
 * const bytes = encodeWinners({ slots: [7, 2], counters: [1003, 1010] }, 1000); // 16 bytes
 */
export function encodeWinners(w: RangeWinners, first: number): Buffer {
  const out = Buffer.alloc(w.slots.length * WINNER_BYTES);
  for (let i = 0; i < w.slots.length; i++) {
    out.writeUInt32BE(w.slots[i]!, i * WINNER_BYTES);
    out.writeUInt32BE(w.counters[i]! - first, i * WINNER_BYTES + 4);
  }
  return out;
}

/**
 * Unpacks what {@link encodeWinners} wrote for counters [first, end) of an epoch with 2^slotBits slots.
 * Throws `RangeError` on bytes that cannot be such a result (a slot or a counter out of range).
 * @example
 * decodeWinners(bytes, 1000, 2000, 14); // { slots: [7, 2], counters: [1003, 1010] }
 */
export function decodeWinners(bytes: Uint8Array, first: number, end: number, slotBits: number): RangeWinners {
  aint(first, 0, Number.MAX_SAFE_INTEGER, 'first');
  aint(end - first, 1, MAX_RANGE_COUNTERS, 'range length');
  if (bytes.length % WINNER_BYTES !== 0) throw new RangeError(`a range result must be pairs of ${WINNER_BYTES} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const n = bytes.length / WINNER_BYTES;
  const slots = new Uint32Array(n);
  const counters = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const slot = view.getUint32(i * WINNER_BYTES);
    const offset = view.getUint32(i * WINNER_BYTES + 4);
    if (slot >= 2 ** slotBits || offset >= end - first)
      throw new RangeError(`range [${first}, ${end}) holds a winner out of range (slot ${slot}, counter ${first + offset})`);
    slots[i] = slot;
    counters[i] = first + offset;
  }
  return { slots, counters };
}
