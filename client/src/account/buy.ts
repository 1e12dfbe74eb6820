/**
 * Buying superbin sets with the API token (`POST /api/sets`) and storing them. Each purchase is
 * recorded with its idempotency key before the request goes: an answer lost to a crash or the
 * network is asked for again with the same key, and the broker sells it once. Purchases left
 * pending by an earlier run are finished first.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { aint, type ImportResult } from '@micromint/shared';
import { BrokerError } from '../errors.ts';
import { immediate } from '../wallet/db.ts';
import type { Wallet } from '../wallet/wallet.ts';

/** Most sets bought in one `buy` (it runs as several purchases of the broker's most each). */
export const MAX_SETS_PER_BUY = 1000;

/** What `buy` did. */
export interface BuyResult {
  /** The purchases stored, in order (a purchase finished from an earlier run included). */
  imports: ImportResult[];
  sets: number;
  coins: number;
  /** The account's balance after the last purchase, when the broker said. */
  balanceMills?: number;
}

/** Progress of a long `buy`. */
export type BuyProgress = (done: number, total: number) => void;

interface PurchaseRow {
  request_id: string;
  count: number;
}

/** Runs one recorded purchase to its end: bought and imported, or refused by the broker. */
async function finish(wallet: Wallet, row: PurchaseRow): Promise<{ imported: ImportResult; balanceMills?: number }> {
  const broker = wallet.broker();
  try {
    const answer = await broker.buySets(row.count, row.request_id);
    const imported = wallet.importFunds(answer.message);
    immediate(wallet.db, () =>
      wallet.db
        .prepare(`UPDATE purchases SET state = 'done', withdrawal_id = ?, updated_at = ? WHERE request_id = ?`)
        .run(answer.withdrawalId, Date.now(), row.request_id),
    );
    return { imported, ...(answer.balanceMills !== undefined ? { balanceMills: answer.balanceMills } : {}) };
  } catch (e) {
    // A 4xx means nothing was bought; anything else (no answer, a 5xx) leaves the purchase to be asked again.
    if (e instanceof BrokerError && e.status >= 400 && e.status < 500 && e.status !== 429)
      immediate(wallet.db, () =>
        wallet.db
          .prepare(`UPDATE purchases SET state = 'refused', error = ?, updated_at = ? WHERE request_id = ?`)
          .run(e.code, Date.now(), row.request_id),
      );
    throw e;
  }
}

/**
 * Buys `sets` sets (in purchases of at most `perPurchase`) and stores them.
 * @throws BrokerError (`insufficient_funds`, `spending_limit`, `sold_out`, `invalid_token`, `broker-unreachable`, ...)
 *   after storing the purchases that succeeded before it.
 * @example
 * const { coins } = await buy(wallet, 2);
 */
export async function buy(wallet: Wallet, sets: number, o: { perPurchase?: number; progress?: BuyProgress } = {}): Promise<BuyResult> {
  aint(sets, 1, MAX_SETS_PER_BUY, 'sets');
  const perPurchase = o.perPurchase ?? 10;
  aint(perPurchase, 1, MAX_SETS_PER_BUY, 'perPurchase');
  const broker = wallet.broker().base;
  const left = wallet.db
    .prepare(`SELECT request_id, count FROM purchases WHERE state = 'pending' AND broker = ? ORDER BY created_at`)
    .all(broker) as PurchaseRow[];
  const now = Date.now();
  for (let n = sets; n > 0; n -= perPurchase) {
    const row = { request_id: `r_${randomBytes(16).toString('hex')}`, count: Math.min(n, perPurchase) };
    immediate(wallet.db, () =>
      wallet.db
        .prepare(`INSERT INTO purchases (request_id, broker, count, state, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)`)
        .run(row.request_id, broker, row.count, now, now),
    );
    left.push(row);
  }
  const result: BuyResult = { imports: [], sets: 0, coins: 0 };
  for (const [i, row] of left.entries()) {
    const { imported, balanceMills } = await finish(wallet, row);
    result.imports.push(imported);
    result.sets += imported.sets;
    result.coins += imported.coins;
    if (balanceMills !== undefined) result.balanceMills = balanceMills;
    o.progress?.(i + 1, left.length);
  }
  return result;
}
