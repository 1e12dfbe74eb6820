/**
 * What a vendor earned, on PostgreSQL (the SQLite repository is db/earnings.ts): coins per page, and money
 * credited per UTC day from its ledger lines.
 * @module
 */
import type { DayEarnings, PageTotal } from '../earnings.ts';
import type { EarningsRepo } from '../store.ts';
import type { Query } from './database.ts';
import { sqliteLimit } from './sql.ts';

/**
 * The earnings repository on PostgreSQL.
 * @example
 * const earnings = pgEarningsRepo(db.query);
 * const top = await earnings.pageTotals('https://shop.example', 10, 0);
 */
export function pgEarningsRepo(q: Query): EarningsRepo {
  return {
    /** Pages by coins (most first), `limit` of them from `offset`. */
    pageTotals: (vendorId: string, limit: number, offset: number): Promise<PageTotal[]> =>
      q<PageTotal>(
        `SELECT url, coins, last_redeemed_at AS "lastPaidAt" FROM redeemed_pages WHERE vendor_id = $1
          ORDER BY coins DESC, last_redeemed_at COLLATE "C" DESC, url COLLATE "C" LIMIT $2 OFFSET greatest($3::bigint, 0)`,
        [vendorId, sqliteLimit(limit), offset],
      ),
    /** How many distinct pages were paid with coins. */
    pageCount: async (vendorId: string): Promise<number> =>
      (await q<{ n: number }>('SELECT count(*) AS n FROM redeemed_pages WHERE vendor_id = $1', [vendorId]))[0]!.n,
    /** Money credited per day since `fromIso`, only the days with some. */
    daily: (vendorId: string, fromIso: string): Promise<DayEarnings[]> =>
      q<DayEarnings>(
        `SELECT substr(created_at, 1, 10) AS day,
                coalesce(sum(amount_mills) FILTER (WHERE kind <> 'clearing'), 0) AS "coinsMills",
                coalesce(sum(amount_mills) FILTER (WHERE kind = 'clearing'), 0) AS "chainsMills"
           FROM ledger WHERE owner_kind = 'vendor' AND owner_id = $1 AND created_at >= $2 COLLATE "C" AND amount_mills > 0
          GROUP BY 1 ORDER BY substr(created_at, 1, 10) COLLATE "C"`,
        [vendorId, fromIso],
      ),
  };
}
