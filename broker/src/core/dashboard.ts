/**
 * What the vendor dashboard shows: the vendor's summary, its earnings per day over the last
 * {@link EARNINGS_DAYS} days, the coins each page was paid with ({@link PAGES_PER_VIEW} pages at a time), and
 * the newest refusals, double spends and chain clearings (each list capped by its repository).
 * @module
 */
import type { ClearingRecord } from '../db/chains.ts';
import type { DayEarnings, PageTotal } from '../db/earnings.ts';
import type { RejectedCoinRecord } from '../db/refusals.ts';
import type { DoubleSpendRecord, VendorRecord } from '../db/vendors.ts';
import type { BrokerContext } from './context.ts';
import { vendorSummary, type VendorSummary } from './vendors.ts';

/** Days the earnings chart covers, today (UTC) included. */
export const EARNINGS_DAYS = 30;
/** Pages listed per view of the per-page totals. */
export const PAGES_PER_VIEW = 20;

const DAY_MS = 86_400_000;

/** One view of the per-page totals. */
export interface PageTotals {
  rows: PageTotal[];
  /** This view's number, from 1. */
  view: number;
  /** How many views there are (at least 1). */
  views: number;
  /** Distinct pages paid with coins. */
  pages: number;
}

/** Everything the dashboard shows. */
export interface Dashboard {
  summary: VendorSummary;
  /** One entry per day, oldest first, days without earnings at zero. */
  earnings: DayEarnings[];
  pageTotals: PageTotals;
  rejected: RejectedCoinRecord[];
  refusalsByReason: { reason: string; count: number }[];
  doubleSpends: DoubleSpendRecord[];
  clearings: ClearingRecord[];
}

/**
 * Money credited to `vendorId` on each of the last `days` UTC days, oldest first.
 * @example
 * (await dailyEarnings(ctx, 'https://shop.example')).at(-1); // { day: '2026-11-30', coinsMills: 12, chainsMills: 8 }
 */
export async function dailyEarnings(ctx: BrokerContext, vendorId: string, days = EARNINGS_DAYS): Promise<DayEarnings[]> {
  const today = Date.parse(ctx.now().toISOString().slice(0, 10));
  const first = new Date(today - (days - 1) * DAY_MS).toISOString();
  const found = new Map((await ctx.store.earnings.daily(vendorId, first)).map((d) => [d.day, d]));
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10);
    return found.get(day) ?? { day, coinsMills: 0, chainsMills: 0 };
  });
}

/**
 * View `view` (from 1; out of range is the nearest view) of the coins per page of `vendorId`, most paid first.
 * @example
 * (await pageTotals(ctx, 'https://shop.example', 1)).rows[0]; // { url: 'https://shop.example/a', coins: 40, lastPaidAt: '…' }
 */
export async function pageTotals(ctx: BrokerContext, vendorId: string, view: number): Promise<PageTotals> {
  const pages = await ctx.store.earnings.pageCount(vendorId);
  const views = Math.max(1, Math.ceil(pages / PAGES_PER_VIEW));
  const at = Math.min(Math.max(1, Number.isSafeInteger(view) ? view : 1), views);
  return { rows: await ctx.store.earnings.pageTotals(vendorId, PAGES_PER_VIEW, (at - 1) * PAGES_PER_VIEW), view: at, views, pages };
}

/** The dashboard of `vendor`, with view `view` of its per-page totals (reads only). */
export async function vendorDashboard(ctx: BrokerContext, vendor: VendorRecord, view = 1): Promise<Dashboard> {
  const { store } = ctx;
  const [summary, earnings, totals, rejected, refusalsByReason, doubleSpends, clearings] = await Promise.all([
    vendorSummary(ctx, vendor),
    dailyEarnings(ctx, vendor.id),
    pageTotals(ctx, vendor.id, view),
    store.refusals.recent(vendor.id),
    store.refusals.byReason(vendor.id),
    store.vendors.recentDoubleSpends(vendor.id),
    store.chains.recentClearings(vendor.id),
  ]);
  return { summary, earnings, pageTotals: totals, rejected, refusalsByReason, doubleSpends, clearings };
}
