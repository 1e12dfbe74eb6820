/**
 * The layout of the compact mint database (tables `mint_balls` and `mint_flags`, see mint-store.ts).
 *
 * An epoch's slots (slot = superbin * 2^v + sub-bin) are cut into chunks of {@link CHUNK_SLOTS}. A chunk is
 * one row of `mint_balls`: a 32-bit mask `present` of the slots that hold a ball, and `xs`, the balls of
 * those slots in slot order, 16 bytes each. A slot's position is implied: its ball is the r-th of `xs`,
 * r = the number of present slots before it in the chunk. So a ball costs its own 16 bytes and a bit.
 *
 * Statuses are the thesis's (exists, sold, redeemed, returned, compromised), kept apart in `mint_flags`:
 * per chunk one 32-bit mask per flag, a row only once some flag of the chunk is set. A ball's status is
 * its highest flag: compromised, then returned, then redeemed, then sold; no flag is `exists`.
 *
 * Masks are stored as signed 32-bit integers (JavaScript's `x | 0`), so SQL's `|`, `&` and `~` on them
 * agree with JavaScript's.
 * @module
 */
import { BALL_BYTES } from '@micromint/shared';

/** A ball's life in the thesis's CoinMint file: minted, sold in a set, spent, returned unspent, or unusable. */
export type BallStatus = 'exists' | 'sold' | 'redeemed' | 'returned' | 'compromised';

/** Slots per chunk (one bit each in a 32-bit mask). */
export const CHUNK_SLOTS = 32;
const CHUNK_SHIFT = 5;
/** Row ids per epoch: an epoch's chunk ids are `no * FILE_STRIDE + chunk` (u + v <= 24, so chunk < 2^19). */
export const FILE_STRIDE = 2 ** 24;

/** The flag masks of a chunk. */
export interface ChunkFlags {
  sold: number;
  redeemed: number;
  returned: number;
  compromised: number;
}

/** A chunk row as read. */
export interface Chunk {
  present: number;
  xs: Uint8Array;
  flags: ChunkFlags;
}

/** The row id of the chunk holding `slot` of the epoch numbered `no`. */
export const chunkIdOf = (no: number, slot: number): number => no * FILE_STRIDE + (slot >>> CHUNK_SHIFT);

/** The bit of `slot` in its chunk's masks, as a signed 32-bit mask. */
export const bitOf = (slot: number): number => 1 << (slot & (CHUNK_SLOTS - 1));

/** Set bits of a 32-bit value. */
export function popcount32(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (Math.imul((n + (n >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Where the ball of `slot` starts in `chunk.xs`, or -1 when the slot is empty. */
export function ballOffset(chunk: Pick<Chunk, 'present'>, slot: number): number {
  const bit = bitOf(slot);
  return chunk.present & bit ? popcount32(chunk.present & (bit - 1)) * BALL_BYTES : -1;
}

/** The ball of `slot` in `chunk`, or undefined when the slot is empty (a view into `chunk.xs`). */
export function ballIn(chunk: Pick<Chunk, 'present' | 'xs'>, slot: number): Uint8Array | undefined {
  const at = ballOffset(chunk, slot);
  return at < 0 ? undefined : chunk.xs.subarray(at, at + BALL_BYTES);
}

/** The ball of `slot` in `chunk` and its status; undefined when there is no chunk or the slot is empty. */
export function mintedIn(chunk: Chunk | undefined, slot: number): { x: Uint8Array; status: BallStatus } | undefined {
  const x = chunk && ballIn(chunk, slot);
  return x && { x, status: statusAt(chunk.flags, bitOf(slot)) };
}

/** Every ball of a superbin in sub-bin order; `chunkOf(slot)` is the chunk holding `slot`, if it was read. */
export function superbinBalls(
  v: number,
  superbin: number,
  chunkOf: (slot: number) => Chunk | undefined,
): { subbin: number; x: Uint8Array; status: BallStatus }[] {
  const start = superbin * 2 ** v;
  const out: { subbin: number; x: Uint8Array; status: BallStatus }[] = [];
  for (let subbin = 0; subbin < 2 ** v; subbin++) {
    const ball = mintedIn(chunkOf(start + subbin), start + subbin);
    if (ball) out.push({ subbin, ...ball });
  }
  return out;
}

/**
 * The status of the ball of `slot` in `chunk` when the 16 bytes at `bytes[at]` are that ball (see
 * {@link sameBall}); undefined when they are not, or there is no chunk or the slot is empty.
 */
export function statusIfSame(chunk: Chunk | undefined, slot: number, bytes: Uint8Array, at: number): BallStatus | undefined {
  return chunk && sameBall(chunk.xs, ballOffset(chunk, slot), bytes, at) ? statusAt(chunk.flags, bitOf(slot)) : undefined;
}

/** Per chunk id of the epoch numbered `no`, the mask of the given slots in it. */
export function chunkMasks(no: number, slots: readonly number[]): Map<number, number> {
  const masks = new Map<number, number>();
  for (const s of slots) masks.set(chunkIdOf(no, s), (masks.get(chunkIdOf(no, s)) ?? 0) | bitOf(s));
  return masks;
}

/** Checks minted balls before they are stored: one 16-byte ball per slot, every slot below 2^29. */
export function assertMinted(slots: Uint32Array, xs: Uint8Array): void {
  if (xs.length !== slots.length * BALL_BYTES) throw new RangeError('one 16-byte ball per slot is required');
  if (slots.length > 0 && slots[slots.length - 1]! >= FILE_STRIDE * CHUNK_SLOTS) throw new RangeError('a slot is beyond 2^29');
}

/**
 * True when the 16 bytes at `a[ai]` and `b[bi]` are equal, in time that does not depend on where they
 * differ (so a stream of guesses cannot learn an unsold ball byte by byte), and without a view per ball.
 */
export function sameBall(a: Uint8Array, ai: number, b: Uint8Array, bi: number): boolean {
  if (ai < 0 || ai + BALL_BYTES > a.length || bi < 0 || bi + BALL_BYTES > b.length) return false;
  let diff = 0;
  for (let j = 0; j < BALL_BYTES; j++) diff |= a[ai + j]! ^ b[bi + j]!;
  return diff === 0;
}

/** The status of the ball at mask bit `bit` under `flags`. */
export function statusAt(flags: ChunkFlags, bit: number): BallStatus {
  if (flags.compromised & bit) return 'compromised';
  if (flags.returned & bit) return 'returned';
  if (flags.redeemed & bit) return 'redeemed';
  if (flags.sold & bit) return 'sold';
  return 'exists';
}

/**
 * The flags of a chunk after giving the balls of `mask` the status `status`: exists, sold, redeemed and
 * returned replace what the balls had (redeemed and returned balls stay sold); compromised is added on top.
 */
export function withStatus(flags: ChunkFlags, mask: number, status: BallStatus): ChunkFlags {
  if (status === 'compromised') return { ...flags, compromised: flags.compromised | mask };
  const keep = ~mask;
  const set = (on: boolean) => (on ? mask : 0);
  return {
    sold: (flags.sold & keep) | set(status !== 'exists'),
    redeemed: (flags.redeemed & keep) | set(status === 'redeemed'),
    returned: (flags.returned & keep) | set(status === 'returned'),
    compromised: flags.compromised & keep,
  };
}

/** A chunk to insert: its index in the epoch, the mask of its slots and the range of its balls in `xs`. */
export interface ChunkRange {
  chunk: number;
  present: number;
  from: number;
  to: number;
}

/**
 * Cuts minted balls into chunks: `slots` in increasing order, ball i at `xs[16i .. 16i+16)`.
 * @example
 * chunkRanges(Uint32Array.of(0, 3, 40)); // [{ chunk: 0, present: 9, from: 0, to: 2 }, { chunk: 1, present: 256, from: 2, to: 3 }]
 */
export function chunkRanges(slots: Uint32Array): ChunkRange[] {
  const out: ChunkRange[] = [];
  let i = 0;
  while (i < slots.length) {
    const chunk = slots[i]! >>> CHUNK_SHIFT;
    let present = 0;
    const from = i;
    for (; i < slots.length && slots[i]! >>> CHUNK_SHIFT === chunk; i++) {
      if (i > 0 && slots[i]! <= slots[i - 1]!) throw new RangeError('slots must be in increasing order');
      present |= bitOf(slots[i]!);
    }
    out.push({ chunk, present, from, to: i });
  }
  return out;
}

/** The chunks of a superbin (first and last chunk index) and the mask of its slots in each. */
export function superbinChunks(v: number, superbin: number): { first: number; last: number; mask: number } {
  const start = superbin * 2 ** v;
  if (v >= CHUNK_SHIFT) return { first: start >>> CHUNK_SHIFT, last: (start + 2 ** v - 1) >>> CHUNK_SHIFT, mask: -1 };
  return { first: start >>> CHUNK_SHIFT, last: start >>> CHUNK_SHIFT, mask: ((1 << (2 ** v)) - 1) << (start & (CHUNK_SLOTS - 1)) };
}
