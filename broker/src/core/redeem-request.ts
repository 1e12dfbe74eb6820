/**
 * The redemption request a vendor sends (`POST /api/redeem`): its shape, checked before anything is judged,
 * and the coin id of each entry as sent. MicroMint coins and PayWord chains travel in the same request
 * (either list may be empty, not both): two modules behind one vendor API.
 * @module
 */
import { BALL_BYTES, aobject } from '@micromint/shared';
import { readClearEntries, type ClearEntry } from './payword/clear-request.ts';

/** Most coins in one redemption batch. */
export const MAX_BATCH_COINS = 10_000;

/** One coin as a vendor received it. */
export interface RedeemEntry {
  epoch: string;
  userId: string;
  /** Base64 of the k balls. */
  coin: string;
  /** The URL the coin paid for (its origin must be the vendor's). */
  url: string;
  /** When the vendor accepted it (ISO 8601). */
  paidAt: string;
}

/** A redemption request. */
export interface RedeemRequest {
  batchId: string;
  coins: RedeemEntry[];
  /** PayWord chains to clear (none when the body has no `chains`). */
  chains: ClearEntry[];
}

const PRINTABLE = /^[\x21-\x7e]+$/;

function field(o: Record<string, unknown>, name: string, max: number, where: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw new TypeError(`${where}.${name} must be a string`);
  if (v.length === 0 || v.length > max) throw new RangeError(`${where}.${name} must be 1 to ${max} characters`);
  return v;
}

/**
 * Checks the shape of a redemption request body; throws `TypeError`/`RangeError` (a 400) on the first fault.
 * Coin contents are not judged here: a coin that does not decode is refused as `malformed`.
 */
export function readRedeemRequest(body: unknown): RedeemRequest {
  aobject(body, 'body');
  const batchId = field(body, 'batchId', 128, 'body');
  if (!PRINTABLE.test(batchId)) throw new RangeError('body.batchId must be printable ASCII without spaces');
  const coins = body.coins ?? [];
  if (!Array.isArray(coins)) throw new TypeError('body.coins must be an array');
  if (coins.length > MAX_BATCH_COINS) throw new RangeError(`body.coins must hold at most ${MAX_BATCH_COINS} coins`);
  const chains = readClearEntries(body.chains);
  if (coins.length === 0 && chains.length === 0) throw new RangeError('the batch must hold at least one coin or chain');
  return {
    batchId,
    chains,
    coins: coins.map((c: unknown, i) => {
      const where = `coins[${i}]`;
      aobject(c, where);
      const entry: RedeemEntry = {
        epoch: field(c, 'epoch', 64, where),
        userId: field(c, 'userId', 128, where),
        coin: field(c, 'coin', 4096, where),
        url: field(c, 'url', 2048, where),
        paidAt: field(c, 'paidAt', 40, where),
      };
      if (!PRINTABLE.test(entry.userId)) throw new RangeError(`${where}.userId must be printable ASCII`);
      if (Number.isNaN(Date.parse(entry.paidAt))) throw new RangeError(`${where}.paidAt must be an ISO 8601 date`);
      if (!URL.canParse(entry.url)) throw new RangeError(`${where}.url must be an absolute URL`);
      return entry;
    }),
  };
}

/**
 * The bytes of an entry's coin, or undefined when it is not padded standard base64 (the strings shared's
 * `fromBase64` takes). Node's decoder skips what is not base64, so only a string it encodes back to is
 * taken: that is exactly the canonical padded form, at a fraction of the cost (a batch holds 10,000 coins).
 */
export function coinBytesOf(e: RedeemEntry): Uint8Array | undefined {
  const bytes = Buffer.from(e.coin, 'base64');
  return bytes.toString('base64') === e.coin ? bytes : undefined;
}

/**
 * The id an answer gives an entry's coin: hex of its first ball (shared's `coinId`), or '' when the coin
 * does not decode to one. It depends on the entry alone, so a replayed batch (the very same entries) gets
 * the same ids.
 */
export function coinIdOf(e: RedeemEntry, bytes = coinBytesOf(e)): string {
  return bytes && bytes.length >= BALL_BYTES ? Buffer.from(bytes.buffer, bytes.byteOffset, BALL_BYTES).toString('hex') : '';
}
