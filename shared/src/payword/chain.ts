/**
 * PayWord hash chains: w_(i-1) = SHA-256("PWv1" || salt || w_i), from the secret seed w_n down to
 * the root w_0. Paying reveals w_1, w_2, ...; paying l units at once reveals the link l ahead.
 * The preimage is 4 + 16 + 32 = 52 bytes: one SHA-256 compression per step.
 * @module
 */
import { sha256 } from '../hash.ts';
import { abytes, aint } from '../assert.ts';
import { equalBytes } from '../bytes.ts';

/** Domain tag of a chain step ("PWv1"). */
export const CHAIN_DOMAIN = new Uint8Array([0x50, 0x57, 0x76, 0x31]);
/** Bytes of a link (and of the seed w_n and the root w_0). */
export const LINK_BYTES = 32;
/** Bytes of a chain's salt. */
export const SALT_BYTES = 16;
/** Longest chain a commitment may name. */
export const MAX_CHAIN_LENGTH = 100_000;

const PREIMAGE = CHAIN_DOMAIN.length + SALT_BYTES + LINK_BYTES;

/** A link with its index: w_index. */
export interface IndexedLink {
  index: number;
  link: Uint8Array;
}

/**
 * Hashes `link` forward `times` steps under `salt`: h^times(link). `times` = 0 returns a copy.
 * @example
 * const w3 = hashForward(new Uint8Array(16), new Uint8Array(32), 1); // one step down the chain
 */
export function hashForward(salt: Uint8Array, link: Uint8Array, times: number): Uint8Array {
  abytes(salt, SALT_BYTES, 'salt');
  abytes(link, LINK_BYTES, 'link');
  aint(times, 0, MAX_CHAIN_LENGTH, 'times');
  const buf = new Uint8Array(PREIMAGE);
  buf.set(CHAIN_DOMAIN, 0);
  buf.set(salt, CHAIN_DOMAIN.length);
  let cur: Uint8Array = link.slice();
  for (let i = 0; i < times; i++) {
    buf.set(cur, CHAIN_DOMAIN.length + SALT_BYTES);
    cur = sha256(buf);
  }
  return cur;
}

/** The checkpoint spacing a wallet keeps for a chain of `length` links: about sqrt(length). */
export const checkpointSpacing = (length: number): number => Math.max(1, Math.ceil(Math.sqrt(length)));

/** What a wallet keeps of a chain it made: the root and checkpoints from which any link is quick to recompute. */
export interface BuiltChain {
  root: Uint8Array;
  /** w_i for i = length, length - s, length - 2s, ... (s = `spacing`), highest index first, always with w_length. */
  checkpoints: IndexedLink[];
}

/**
 * Builds a chain of `length` links from the secret `seed` (= w_length): the root w_0 and checkpoints.
 * @example
 * const { root } = buildChain(seed, salt, 100);
 */
export function buildChain(seed: Uint8Array, salt: Uint8Array, length: number, spacing = checkpointSpacing(length)): BuiltChain {
  abytes(seed, LINK_BYTES, 'seed');
  aint(length, 1, MAX_CHAIN_LENGTH, 'length');
  aint(spacing, 1, MAX_CHAIN_LENGTH, 'spacing');
  const checkpoints: IndexedLink[] = [{ index: length, link: seed.slice() }];
  let cur = seed;
  for (let i = length; i > 0; i--) {
    cur = hashForward(salt, cur, 1);
    if ((length - (i - 1)) % spacing === 0 && i - 1 > 0) checkpoints.push({ index: i - 1, link: cur });
  }
  return { root: cur, checkpoints };
}

/**
 * Link w_index recomputed from the nearest checkpoint at or above `index`.
 * @throws RangeError when no checkpoint is at or above `index`.
 */
export function linkAt(salt: Uint8Array, checkpoints: readonly IndexedLink[], index: number): Uint8Array {
  aint(index, 0, MAX_CHAIN_LENGTH, 'index');
  let best: IndexedLink | undefined;
  for (const c of checkpoints) if (c.index >= index && (!best || c.index < best.index)) best = c;
  if (!best) throw new RangeError(`no checkpoint at or above index ${index}`);
  return hashForward(salt, best.link, best.index - index);
}

/**
 * True when `link` is w_index of the chain that holds `known` (a lower index): h^(index - known.index)(link) = known.link.
 * A link at or below a known link is never new money; that case returns false.
 * @example
 * verifyLink(salt, w5, 5, { index: 0, link: root }); // true for the chain's own w_5
 */
export function verifyLink(salt: Uint8Array, link: Uint8Array, index: number, known: IndexedLink): boolean {
  if (!(link instanceof Uint8Array) || link.length !== LINK_BYTES) return false;
  if (!Number.isSafeInteger(index) || index <= known.index || index - known.index > MAX_CHAIN_LENGTH) return false;
  return equalBytes(hashForward(salt, link, index - known.index), known.link);
}

/**
 * True when `link` is w_index of the chain that holds `held`, whichever of the two is higher: the
 * higher one hashed down to the lower one's index gives the lower one. A vendor uses it for a
 * range paid late below its highest link (index < held.index: w_index = h^(held - index)(w_held))
 * as well as for a new highest link; `index` = `held.index` means the two are the same link.
 * @example
 * linkMatches(salt, w3, 3, { index: 5, link: w5 }); // true: h^2(w_5) = w_3
 */
export function linkMatches(salt: Uint8Array, link: Uint8Array, index: number, held: IndexedLink): boolean {
  if (!(link instanceof Uint8Array) || link.length !== LINK_BYTES) return false;
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_CHAIN_LENGTH) return false;
  if (index > held.index) return verifyLink(salt, link, index, held);
  return equalBytes(hashForward(salt, held.link, held.index - index), link);
}
