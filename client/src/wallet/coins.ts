/**
 * Making vendor-specific coins from the stored sets (docs/protocol.md section 5), with shared's
 * `coinStarts` and `buildCoin`. Synchronous, so it runs inside the transaction that spends.
 * @module
 */
import {
  buildCoin,
  coinId,
  coinStarts,
  epochFromJson,
  fromHex,
  isExpired,
  vendorOffsets,
  type EpochParams,
  type SuperbinSet,
} from '@micromint/shared';
import type { WalletDb } from './db.ts';

/** A coin the wallet can pay with, named by its first ball. */
export interface CoinCandidate {
  /** Hex of the first ball: the coin id. */
  id: string;
  coin: Uint8Array;
}

interface BallRow {
  x: string;
  role: number;
  subbin: number;
  spendable: number;
}

/** The epoch `id` of `broker` (same origin), if the wallet holds it and it has not expired at `now`. */
export function spendableEpoch(db: WalletDb, id: string, broker: string, now: number): EpochParams | undefined {
  const row = db.prepare('SELECT params, broker FROM epochs WHERE id = ?').get(id) as { params: string; broker: string } | undefined;
  if (!row) return undefined;
  try {
    if (new URL(row.broker).origin !== new URL(broker).origin) return undefined;
  } catch {
    return undefined;
  }
  const params = epochFromJson(JSON.parse(row.params));
  return isExpired(params, now) ? undefined : params;
}

/** One stored set as `buildCoin` wants it: the first superbin holds only balls still spendable. */
function loadSet(db: WalletDb, p: EpochParams, setId: string, superbins: number[]): SuperbinSet {
  const balls = Array.from({ length: p.k }, () => new Map<number, Uint8Array>());
  const rows = db
    .prepare(`SELECT x, role, subbin, (state = 'unspent' AND flag IS NULL) AS spendable FROM balls WHERE set_id = ?`)
    .all(setId) as BallRow[];
  for (const b of rows) if (b.role !== 0 || b.spendable === 1) balls[b.role]?.set(b.subbin, fromHex(b.x));
  return { superbins, balls };
}

/**
 * Up to `limit` coins of epoch `p` for `vendorId` from the sets of `userId`, oldest superbin first
 * (so choices are deterministic). Only sets with a spendable first ball are read.
 * @example
 * const coins = coinsForVendor(db, params, userId, 'http://127.0.0.1:4001', 2);
 */
export function coinsForVendor(db: WalletDb, p: EpochParams, userId: string, vendorId: string, limit = Infinity): CoinCandidate[] {
  const vh = vendorOffsets(p, vendorId);
  const sets = db
    .prepare(
      `SELECT id, superbins FROM sets s WHERE epoch = ? AND user_id = ? AND EXISTS
         (SELECT 1 FROM balls b WHERE b.set_id = s.id AND b.role = 0 AND b.state = 'unspent' AND b.flag IS NULL)
       ORDER BY first`,
    )
    .all(p.id, userId) as { id: string; superbins: string }[];
  const out: CoinCandidate[] = [];
  for (const row of sets) {
    if (out.length >= limit) break;
    const set = loadSet(db, p, row.id, JSON.parse(row.superbins) as number[]);
    for (const s1 of coinStarts(p, set, vh)) {
      if (out.length >= limit) break;
      const coin = buildCoin(p, set, vh, s1)!;
      out.push({ id: coinId(coin), coin });
    }
  }
  return out;
}
