/**
 * Budgets: the most the wallet pays without asking, per site (a calendar day or month) and for the
 * whole wallet (a calendar month), and what was paid per site per day.
 *
 * A budget is checked and charged inside the transaction that takes the payment's funds (coins in
 * spend.ts, links in pay-link.ts), never before it: IndexedDB runs readwrite transactions over the
 * same stores one at a time, so two tabs racing for the last room in a budget see each other's
 * charge, and only one of them passes. A payment the reader approved (the prompt's "pay") is
 * charged without the check; "allow up to" sets the budget in that same transaction.
 *
 * Days are the browser's calendar days (`YYYY-MM-DD`, local time); a month is the days that share
 * `YYYY-MM`. Spending is kept {@link SPENDING_KEEP_DAYS} days, then pruned by the next payment.
 * @module
 */
import { aint, aobject, formatMoney } from '@micromint/shared';
import type { IDBPTransaction, StoreNames } from 'idb';
import type { WalletDb } from './db.ts';
import { BudgetExceededError } from './errors.ts';
import type { BudgetPeriod, BudgetRecord, SpendingRecord, WalletSchema } from './schema.ts';
import { abortQuietly } from './tx.ts';

/** The key of the whole wallet's budget (sites are origins, so it never names one). */
export const WALLET_BUDGET = '*';
/** Largest budget, in mills ($10,000). */
export const MAX_BUDGET_MILLS = 10_000_000;
/** Most budgets the wallet keeps (they are only ever set by the reader). */
export const MAX_BUDGETS = 1000;
/** Days of spending kept; older days are pruned. */
export const SPENDING_KEEP_DAYS = 400;
/** Days the popup's chart shows, today included. */
export const CHART_DAYS = 30;

/** Whose budget: the site's own, or the whole wallet's. */
export type BudgetScope = 'site' | 'wallet';

/** A budget a payment would pass: what the prompt says and offers to raise. Mills throughout. */
export interface BudgetOver {
  scope: BudgetScope;
  /** The site asking (for the wallet's budget too). */
  site: string;
  period: BudgetPeriod;
  limit: number;
  /** Spent in this period, before this payment. */
  spent: number;
  /** What this payment costs. */
  price: number;
  /** A round figure that holds this payment: what "Allow … up to" offers ({@link suggestLimit}). */
  suggested: number;
}

/** The reader's "allow up to": the budget to set in the payment's own transaction. */
export interface BudgetAllow {
  scope: BudgetScope;
  period: BudgetPeriod;
  limit: number;
}

/** How a payment meets the budgets. */
export interface BudgetCharge {
  /** The site paid (an origin). */
  site: string;
  mills: number;
  now: number;
  /** Paying without asking: a budget this would pass refuses it ({@link BudgetExceededError}, nothing written). */
  enforce: boolean;
  /** Set this budget first (the reader's click). */
  allow?: BudgetAllow;
}

/** A site's budget and spending, as the popup and the options page show them. */
export interface SiteSpending {
  site: string;
  budget?: { period: BudgetPeriod; limit: number };
  /** Spent in the budget's period (this month without a budget). */
  spent: number;
  today: number;
  month: number;
}

/** Every budget, this period's spending against each, and spending per day for the chart. */
export interface BudgetsOverview {
  /** Today, `YYYY-MM-DD`. */
  today: string;
  wallet: { limit?: number; spent: number };
  /** Sites with a budget or paid this month, most spent this month first. */
  sites: SiteSpending[];
  /** The last {@link CHART_DAYS} days, oldest first, every site together. */
  days: { day: string; mills: number }[];
}

type BudgetStores = 'budgets' | 'spending';
type Stores = StoreNames<WalletSchema>;
/** A transaction over the budget stores and any others (`S`): the payment's own. */
export type BudgetTx<Mode extends IDBTransactionMode = IDBTransactionMode, S extends Stores = BudgetStores> = IDBPTransaction<
  WalletSchema,
  (S | BudgetStores)[],
  Mode
>;

const pad = (n: number) => String(n).padStart(2, '0');
const PERIODS: readonly BudgetPeriod[] = ['day', 'month'];

/**
 * The calendar day of `at` in the browser's time zone.
 * @example
 * dayKey(new Date(2026, 4, 7, 23, 59).getTime()); // '2026-05-07'
 */
export function dayKey(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The day `days` calendar days before the day of `at` (daylight saving cannot shift it). */
export function daysBefore(at: number, days: number): string {
  const d = new Date(at);
  return dayKey(new Date(d.getFullYear(), d.getMonth(), d.getDate() - days, 12).getTime());
}

/** The first and last day keys of the period holding `day`. */
function periodRange(period: BudgetPeriod, day: string): [string, string] {
  return period === 'day' ? [day, day] : [`${day.slice(0, 7)}-01`, `${day.slice(0, 7)}-31`];
}

const sum = (records: readonly SpendingRecord[]) => records.reduce((n, r) => n + r.mills, 0);

/**
 * The offer of "allow up to": the smallest of 1¢, 2¢, 5¢, 10¢, 20¢, 50¢, $1, $2, $5 … that holds
 * `need` mills and is above the budget now (at most {@link MAX_BUDGET_MILLS}).
 * @example
 * suggestLimit(4, 3); // 10 (1¢)
 * suggestLimit(1003, 1000); // 2000 ($2.00)
 */
export function suggestLimit(need: number, current: number): number {
  for (let unit = 10; unit < MAX_BUDGET_MILLS; unit *= 10)
    for (const step of [1, 2, 5]) if (step * unit >= need && step * unit > current) return Math.min(step * unit, MAX_BUDGET_MILLS);
  return MAX_BUDGET_MILLS;
}

/**
 * What a payment to a site is checked against, read at once: the site's and the wallet's budgets
 * (when `withBudgets`) and the site's spending this month, a record per day (which holds today's
 * and the site's day or month total).
 */
interface SiteFacts {
  own?: BudgetRecord;
  all?: BudgetRecord;
  month: SpendingRecord[];
}

function readSiteFacts<S extends Stores>(
  tx: BudgetTx<IDBTransactionMode, S>,
  site: string,
  day: string,
  withBudgets: boolean,
): Promise<SiteFacts> {
  const budgets = tx.objectStore('budgets');
  const [from, to] = periodRange('month', day);
  return Promise.all([
    withBudgets ? budgets.get(site) : undefined,
    withBudgets ? budgets.get(WALLET_BUDGET) : undefined,
    tx.objectStore('spending').getAll(IDBKeyRange.bound([site, from], [site, to])),
  ]).then(([own, all, month]) => ({ ...(own ? { own } : {}), ...(all ? { all } : {}), month }));
}

/** Mills spent at every site in the month holding `day`. */
async function walletSpent<S extends Stores>(tx: BudgetTx<IDBTransactionMode, S>, day: string): Promise<number> {
  const [from, to] = periodRange('month', day);
  return sum(await tx.objectStore('spending').index('by-day').getAll(IDBKeyRange.bound(from, to)));
}

const overOf = (scope: BudgetScope, site: string, b: BudgetRecord, spent: number, price: number): BudgetOver => ({
  scope,
  site,
  period: b.period,
  limit: b.limit,
  spent,
  price,
  suggested: suggestLimit(spent + price, b.limit),
});

/**
 * The first budget (the site's, then the wallet's) that paying `mills` to `site` on `day` would
 * pass, from `facts` read in `tx` (the wallet's month is read only when it has a budget).
 */
async function firstOver<S extends Stores>(
  tx: BudgetTx<IDBTransactionMode, S>,
  facts: SiteFacts,
  site: string,
  mills: number,
  day: string,
): Promise<BudgetOver | undefined> {
  const { own, all } = facts;
  if (own) {
    const spent = sum(own.period === 'day' ? facts.month.filter((r) => r.day === day) : facts.month);
    if (spent + mills > own.limit) return overOf('site', site, own, spent, mills);
  }
  if (all) {
    const spent = await walletSpent(tx, day);
    if (spent + mills > all.limit) return overOf('wallet', site, all, spent, mills);
  }
  return undefined;
}

/** Checks a site key: an http(s) origin, or {@link WALLET_BUDGET}. */
function assertSite(site: unknown): asserts site is string {
  if (typeof site !== 'string') throw new TypeError('site must be a string');
  if (site === WALLET_BUDGET) return;
  let origin: string | undefined;
  try {
    const url = new URL(site);
    origin = url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    origin = undefined;
  }
  if (origin !== site || site.length > 512) throw new RangeError('site must be an http or https origin, such as https://news.example');
}

/** Checks a budget's period and limit ({@link MAX_BUDGET_MILLS}); the wallet's is monthly. */
function assertBudget(site: string, b: { period: unknown; limit: unknown }): asserts b is { period: BudgetPeriod; limit: number } {
  if (!PERIODS.includes(b.period as BudgetPeriod)) throw new RangeError('period must be day or month');
  if (site === WALLET_BUDGET && b.period !== 'month') throw new RangeError("the wallet's budget renews monthly");
  aint(b.limit, 0, MAX_BUDGET_MILLS, 'limit');
}

/** Writes the budget of `site` in `tx`, keeping its creation time; refuses a new one past {@link MAX_BUDGETS}. */
async function putBudget<S extends Stores>(
  tx: BudgetTx<'readwrite', S>,
  site: string,
  b: { period: BudgetPeriod; limit: number },
  now: number,
): Promise<BudgetRecord> {
  const store = tx.objectStore('budgets');
  const old = await store.get(site);
  if (!old && (await store.count()) >= MAX_BUDGETS) throw new RangeError(`the wallet keeps at most ${MAX_BUDGETS} budgets`);
  const record: BudgetRecord = { site, period: b.period, limit: b.limit, createdAt: old?.createdAt ?? now, updatedAt: now };
  await store.put(record);
  return record;
}

/** What charging one payment reads ({@link readForCharge}): the site's facts and the spending days to prune. */
export interface ChargeReads {
  facts: SiteFacts;
  old: [string, string][];
}

/**
 * Issues together every read {@link chargeBudgets} needs for `c`, in the payment's transaction:
 * started with the payment's own reads, they cost no round trip of their own. Not for a charge
 * with `allow` (that budget is set first, and read after).
 * @example
 * const reads = readForCharge(tx, { site: vendorId, now, enforce: true });
 */
export function readForCharge<S extends Stores>(
  tx: BudgetTx<'readwrite', S>,
  c: Pick<BudgetCharge, 'site' | 'now' | 'enforce'>,
): Promise<ChargeReads> {
  const pruned = IDBKeyRange.upperBound(daysBefore(c.now, SPENDING_KEEP_DAYS), true);
  const reads = Promise.all([
    readSiteFacts(tx, c.site, dayKey(c.now), c.enforce),
    tx.objectStore('spending').index('by-day').getAllKeys(pruned),
  ]).then(([facts, old]) => ({ facts, old }));
  // Awaited by the charge; a payment that ends before it (one pending already) aborts or commits the transaction anyway.
  reads.catch(() => undefined);
  return reads;
}

/**
 * Checks and charges the budgets for one payment, inside the payment's own readwrite transaction
 * (which must cover `budgets` and `spending`): sets the reader's `allow` first, then, when
 * `enforce`, throws {@link BudgetExceededError} if the payment would pass the site's or the
 * wallet's budget (the caller aborts: nothing is written), then adds the payment to the site's
 * spending today and prunes days older than {@link SPENDING_KEEP_DAYS}. `reads`: what
 * {@link readForCharge} issued for the same charge in this transaction, before anything in it
 * wrote budgets or spending (ignored with `allow`).
 * @example
 * await chargeBudgets(tx, { site: vendorId, mills: price, now, enforce: true });
 */
export async function chargeBudgets<S extends Stores>(
  tx: BudgetTx<'readwrite', S>,
  c: BudgetCharge,
  reads?: Promise<ChargeReads>,
): Promise<void> {
  await (
    await startCharge(tx, c, reads)
  ).written;
}

/**
 * {@link chargeBudgets}, returning once the check is passed and the writes are asked for:
 * `written` settles when they are done, so the payment's own writes can go out with them.
 * @example
 * const { written } = await startCharge(tx, charge, reads);
 * await Promise.all([written, tx.objectStore('payments').add(payment)]);
 */
export async function startCharge<S extends Stores>(
  tx: BudgetTx<'readwrite', S>,
  c: BudgetCharge,
  reads?: Promise<ChargeReads>,
): Promise<{ written: Promise<unknown> }> {
  const day = dayKey(c.now);
  if (c.allow) await putBudget(tx, c.allow.scope === 'wallet' ? WALLET_BUDGET : c.site, c.allow, c.now);
  const { facts, old } = await (c.allow || !reads ? readForCharge(tx, c) : reads);
  if (c.enforce) {
    const over = await firstOver(tx, facts, c.site, c.mills, day);
    if (over) throw new BudgetExceededError(over);
  }
  const spending = tx.objectStore('spending');
  const today = facts.month.find((r) => r.day === day);
  const written = Promise.all([
    spending.put({
      site: c.site,
      day,
      mills: (today?.mills ?? 0) + c.mills,
      payments: (today?.payments ?? 0) + 1,
      updatedAt: c.now,
    }),
    ...old.map((key) => spending.delete(key)),
  ]);
  // Awaited by the caller; a failed write aborts the transaction anyway.
  written.catch(() => undefined);
  return { written };
}

/**
 * Gives back to a site's spending the mills of a payment the vendor did not keep (coins released
 * or refused), on the day the payment was made, in the settling transaction.
 */
export async function refundSpending<S extends Stores>(
  tx: BudgetTx<'readwrite', S>,
  r: { site: string; at: number; mills: number },
): Promise<void> {
  if (r.mills <= 0) return;
  const spending = tx.objectStore('spending');
  const record = await spending.get([r.site, dayKey(r.at)]);
  if (record) await spending.put({ ...record, mills: Math.max(0, record.mills - r.mills) });
}

/**
 * The first budget that paying `mills` to `site` now would pass, or undefined: a read, to ask the
 * reader before a chain is opened for nothing. The payment's own transaction checks again.
 * @example
 * const over = await budgetOver(db, { site: 'https://news.example', mills: 2, now: Date.now() });
 */
export async function budgetOver(db: WalletDb, q: { site: string; mills: number; now: number }): Promise<BudgetOver | undefined> {
  const tx = db.transaction(['budgets', 'spending'], 'readonly');
  const day = dayKey(q.now);
  const over = await firstOver(tx, await readSiteFacts(tx, q.site, day, true), q.site, q.mills, day);
  await tx.done;
  return over;
}

/**
 * Sets (or changes) the budget of `site`, an origin, or of the whole wallet ({@link WALLET_BUDGET}, monthly).
 * @throws TypeError or RangeError for a bad site, period or limit (nothing written)
 * @example
 * await setBudget(db, 'https://news.example', { period: 'month', limit: 500 }); // 50¢ a month
 */
export async function setBudget(
  db: WalletDb,
  site: string,
  budget: { period: BudgetPeriod; limit: number },
  now = Date.now(),
): Promise<BudgetRecord> {
  assertSite(site);
  assertBudget(site, budget);
  const tx = db.transaction(['budgets', 'spending'], 'readwrite');
  try {
    const record = await putBudget(tx, site, budget, now);
    await tx.done;
    return record;
  } catch (e) {
    abortQuietly(tx);
    throw e;
  }
}

/** Removes the budget of `site` (or of the wallet); its spending stays. True when there was one. */
export async function removeBudget(db: WalletDb, site: string): Promise<boolean> {
  assertSite(site);
  const tx = db.transaction('budgets', 'readwrite');
  const had = (await tx.store.getKey(site)) !== undefined;
  if (had) await tx.store.delete(site);
  await tx.done;
  return had;
}

/**
 * Reads the reader's "allow up to" from a message.
 * @throws TypeError or RangeError naming what is wrong
 * @example
 * readBudgetAllow({ scope: 'site', period: 'day', limit: 10 });
 */
export function readBudgetAllow(value: unknown): BudgetAllow {
  aobject(value, 'allow');
  const scope = value.scope;
  if (scope !== 'site' && scope !== 'wallet') throw new RangeError('allow.scope must be site or wallet');
  const budget = { period: value.period, limit: value.limit };
  assertBudget(scope === 'wallet' ? WALLET_BUDGET : '', budget);
  return { scope, period: budget.period, limit: budget.limit };
}

/** The budget change a page sent (`budget-set`), checked. */
export function readBudgetChange(value: unknown): { site: string; period: BudgetPeriod; limit: number } {
  aobject(value, 'budget');
  assertSite(value.site);
  const budget = { period: value.period, limit: value.limit };
  assertBudget(value.site, budget);
  return { site: value.site, ...budget };
}

/**
 * Every budget, the spending against each this period, and the spending per day of the last
 * {@link CHART_DAYS} days.
 * @example
 * const { sites, days } = await budgetsOverview(db);
 */
export async function budgetsOverview(db: WalletDb, now = Date.now()): Promise<BudgetsOverview> {
  const today = dayKey(now);
  const monthStart = `${today.slice(0, 7)}-01`;
  const chartStart = daysBefore(now, CHART_DAYS - 1);
  const tx = db.transaction(['budgets', 'spending'], 'readonly');
  const budgets = await tx.objectStore('budgets').getAll();
  const from = monthStart < chartStart ? monthStart : chartStart;
  const recent = await tx.objectStore('spending').index('by-day').getAll(IDBKeyRange.bound(from, today));
  await tx.done;

  const perDay = new Map<string, number>();
  const month = new Map<string, number>();
  const todays = new Map<string, number>();
  for (const r of recent) {
    perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.mills);
    if (r.day >= monthStart) month.set(r.site, (month.get(r.site) ?? 0) + r.mills);
    if (r.day === today) todays.set(r.site, r.mills);
  }
  const own = new Map(budgets.filter((b) => b.site !== WALLET_BUDGET).map((b) => [b.site, b]));
  const sites = [...new Set([...own.keys(), ...month.keys()])].map((site): SiteSpending => {
    const b = own.get(site);
    const spentToday = todays.get(site) ?? 0;
    const spentMonth = month.get(site) ?? 0;
    return {
      site,
      ...(b ? { budget: { period: b.period, limit: b.limit } } : {}),
      spent: b?.period === 'day' ? spentToday : spentMonth,
      today: spentToday,
      month: spentMonth,
    };
  });
  sites.sort((a, b) => b.month - a.month || a.site.localeCompare(b.site));
  const wallet = budgets.find((b) => b.site === WALLET_BUDGET);
  const days = Array.from({ length: CHART_DAYS }, (_, i) => daysBefore(now, CHART_DAYS - 1 - i)).map((day) => ({
    day,
    mills: perDay.get(day) ?? 0,
  }));
  return {
    today,
    wallet: { ...(wallet ? { limit: wallet.limit } : {}), spent: sum(recent.filter((r) => r.day >= monthStart)) },
    sites,
    days,
  };
}

/**
 * A budget as a sentence: "0.5¢ a day", "$1.00 a month".
 * @example
 * budgetText({ period: 'day', limit: 5 }); // '0.5¢ a day'
 */
export const budgetText = (b: { period: BudgetPeriod; limit: number }): string => `${formatMoney(b.limit)} a ${b.period}`;
