/**
 * The chains of a redemption request (`POST /api/redeem`, `chains`): their shape, checked before anything
 * is judged, and the chain id each entry is answered with. Contents are judged per chain (a commitment
 * that does not decode is refused `bad-commitment`, an index beyond the chain `index-out-of-range`).
 * @module
 */
import { aobject, chainIdOf, fromBase64 } from '@micromint/shared';

/** Most chains in one redemption batch. */
export const MAX_BATCH_CHAINS = 1000;

/** One chain to clear, as the vendor holds it: the commitment and its highest link. */
export interface ClearEntry {
  /** The commitment bytes, base64. */
  commitment: string;
  /** j: the index of the link. */
  index: number;
  /** w_j, base64. */
  link: string;
}

function text(o: Record<string, unknown>, name: string, max: number, where: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw new TypeError(`${where}.${name} must be a string`);
  if (v.length === 0 || v.length > max) throw new RangeError(`${where}.${name} must be 1 to ${max} characters`);
  return v;
}

/**
 * Checks the shape of `body.chains` (absent: none); throws `TypeError`/`RangeError` on the first fault.
 * @example
 * readClearEntries([{ commitment, index: 3, link }]);
 */
export function readClearEntries(chains: unknown): ClearEntry[] {
  if (chains === undefined) return [];
  if (!Array.isArray(chains)) throw new TypeError('body.chains must be an array');
  if (chains.length > MAX_BATCH_CHAINS) throw new RangeError(`body.chains must hold at most ${MAX_BATCH_CHAINS} chains`);
  return chains.map((c: unknown, i): ClearEntry => {
    const where = `chains[${i}]`;
    aobject(c, where);
    const index = c.index;
    if (typeof index !== 'number' || !Number.isSafeInteger(index)) throw new TypeError(`${where}.index must be an integer`);
    return { commitment: text(c, 'commitment', 2048, where), index, link: text(c, 'link', 256, where) };
  });
}

/** The commitment bytes of an entry, or undefined when they are not base64. */
export function commitmentBytesOf(e: ClearEntry): Uint8Array | undefined {
  try {
    return fromBase64(e.commitment);
  } catch {
    return undefined;
  }
}

/**
 * The chain id an answer gives an entry: of the bytes sent (whatever they hold), or '' when they are not
 * base64. It depends on the entry alone, so a replayed batch gets the same ids.
 */
export function chainIdOfEntry(e: ClearEntry, bytes = commitmentBytesOf(e)): string {
  return bytes ? chainIdOf(bytes) : '';
}
