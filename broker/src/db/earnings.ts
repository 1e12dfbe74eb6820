/**
 * What a vendor earned, as its dashboard shows it: the coins redeemed per page (URL), and the money credited
 * per UTC day (the vendor's ledger lines: coins redeemed and PayWord links cleared).
 * @module
 */
import type { Db } from './open.ts';

/** The coins one page (URL) of a vendor was paid with. */
export interface PageTotal {
  url: string;
  coins: number;
  /** When the broker last credited the vendor for a coin of this page (the redemption, ISO 8601). */
  lastPaidAt: string;
}

/** Money credited to a vendor on one UTC day, by what paid it. */
export interface DayEarnings {
  /** `YYYY-MM-DD`. */
  day: string;
  coinsMills: number;
  chainsMills: number;
}

/** SQL for a vendor's earnings. */
export function earningsRepo(db: Db) {
  const q = {
    pageTotals: db.prepare<[string, number, number], PageTotal>(
      `SELECT url, coins, last_redeemed_at AS lastPaidAt FROM redeemed_pages WHERE vendor_id = ?
         ORDER BY coins DESC, lastPaidAt DESC, url LIMIT ? OFFSET ?`,
    ),
    pageCount: db.prepare<[string], number>('SELECT count(*) FROM redeemed_pages WHERE vendor_id = ?').pluck(),
    daily: db.prepare<[string, string], { day: string; kind: string; mills: number }>(
      `SELECT substr(created_at, 1, 10) AS day, kind, sum(amount_mills) AS mills FROM ledger
         WHERE owner_kind = 'vendor' AND owner_id = ? AND created_at >= ? AND amount_mills > 0
         GROUP BY day, kind ORDER BY day`,
    ),
  };
  return {
    /** Pages by coins (most first), `limit` of them from `offset`. */
    pageTotals: (vendorId: string, limit: number, offset: number): PageTotal[] => q.pageTotals.all(vendorId, limit, offset),
    /** How many distinct pages were paid with coins. */
    pageCount: (vendorId: string): number => q.pageCount.get(vendorId) ?? 0,
    /** Money credited per day since `fromIso`, only the days with some. */
    daily(vendorId: string, fromIso: string): DayEarnings[] {
      const days = new Map<string, DayEarnings>();
      for (const r of q.daily.all(vendorId, fromIso)) {
        const d = days.get(r.day) ?? { day: r.day, coinsMills: 0, chainsMills: 0 };
        if (r.kind === 'clearing') d.chainsMills += r.mills;
        else d.coinsMills += r.mills;
        days.set(r.day, d);
      }
      return [...days.values()];
    },
  };
}
