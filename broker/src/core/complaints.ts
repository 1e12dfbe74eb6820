/**
 * Complaints, and when they disable a vendor.
 *
 * MicroMint has no refunds: a reader who paid a site that did not deliver can only complain, and enough
 * complaints stop the site from redeeming. That switch must not be cheap to flip: five fresh accounts that
 * paid a shop one mill each used to disable it. So complaints are weighed by what the complainers paid the
 * vendor and by the vendor's volume, over a window of `complaintWindowDays`:
 *
 * - a complaint counts only if its author paid the vendor at least `complaintMinSpendMills` in the window
 *   (coins the vendor redeemed and links of the author's PayWord chains it cleared; a payment the vendor
 *   never handed in proves nothing to the broker);
 * - the vendor is disabled when at least `complaintThreshold` such customers complained, AND they are at
 *   least `complaintShare` of the vendor's paying customers in the window, AND they paid at least that share
 *   of its takings in the window.
 *
 * Accounts are free but coins are not: to disable a vendor an attacker must pay it at least
 * share / (1 - share) of what all its honest customers paid (a third, at the default 0.25), and that money
 * goes to the vendor. Complaints filed before an operator last enabled the vendor do not count.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { checkText } from './text.ts';

/** Most complaints one user may file in 24 hours (each is stored: storage is bounded per account). */
export const MAX_COMPLAINTS_PER_DAY = 10;

const DAY = 86_400_000;

/** Where a vendor stands with the complaint rule (shown on its dashboard and in `/api/vendors/me`). */
export interface ComplaintState {
  windowDays: number;
  /** Start of the window (ISO 8601): redemptions and complaints since then count. */
  since: string;
  /** Users who complained about the vendor in the window (since it was last enabled). */
  complainers: number;
  /** Of them, customers who paid the vendor at least the minimum in the window: the complaints that count. */
  counted: number;
  /** What the counted complainers paid the vendor in the window, in mills. */
  countedMills: number;
  /** Users whose coins the vendor redeemed or whose chains it cleared in the window. */
  customers: number;
  /** What the vendor was paid in the window (coins redeemed, chain links cleared), in mills. */
  takingsMills: number;
  /** The rule. */
  rule: { minComplainers: number; minSpendMills: number; share: number };
  /** Counted complainers and their mills needed, now, to disable the vendor. */
  needed: { complainers: number; mills: number };
  /** Whether the rule is met. */
  met: boolean;
}

/** Smallest whole number >= share * n (robust to 0.1 + 0.2 style rounding). */
const atLeast = (share: number, n: number): number => Math.ceil(share * n - 1e-9);

/** The complaint rule's figures for `vendorId` at `at` (ISO 8601). */
export async function complaintState(ctx: BrokerContext, vendorId: string, at: string): Promise<ComplaintState> {
  const { store } = ctx;
  const since = new Date(Date.parse(at) - ctx.complaintWindowDays * DAY).toISOString();
  const enabledAt = (await store.vendors.byId(vendorId))?.enabledAt ?? '';
  const complaintsSince = enabledAt > since ? enabledAt : since;
  const complainers = await store.complaints.complainers(vendorId, complaintsSince, since);
  const counting = complainers.filter((c) => c.mills >= ctx.complaintMinSpendMills);
  const countedMills = counting.reduce((n, c) => n + c.mills, 0);
  const { customers, mills: takingsMills } = await store.complaints.takings(vendorId, since);
  const needed = {
    complainers: Math.max(ctx.complaintThreshold, atLeast(ctx.complaintShare, customers)),
    mills: atLeast(ctx.complaintShare, takingsMills),
  };
  return {
    windowDays: ctx.complaintWindowDays,
    since,
    complainers: complainers.length,
    counted: counting.length,
    countedMills,
    customers,
    takingsMills,
    rule: { minComplainers: ctx.complaintThreshold, minSpendMills: ctx.complaintMinSpendMills, share: ctx.complaintShare },
    needed,
    met: counting.length >= needed.complainers && countedMills >= needed.mills,
  };
}

/**
 * Disables a vendor when the complaint rule is met. Runs when a complaint is filed and after each
 * redemption batch that paid something, coins or chains (a reader usually complains before the vendor has redeemed that day's
 * coins, which is what makes the reader a paying customer). Joins the caller's transaction (its reads decide the
 * write), or is one.
 * @returns whether this call disabled the vendor
 */
export async function reviewComplaints(ctx: BrokerContext, vendorId: string, at: string): Promise<boolean> {
  return ctx.store.transaction(async () => {
    const vendor = await ctx.store.vendors.byId(vendorId);
    if (!vendor || vendor.disabled) return false;
    // The usual case, after every redemption: nobody complained lately. One indexed look-up.
    const since = new Date(Date.parse(at) - ctx.complaintWindowDays * DAY).toISOString();
    if (!(await ctx.store.complaints.anySince(vendorId, since))) return false;
    const s = await complaintState(ctx, vendorId, at);
    if (!s.met) return false;
    const reason =
      `${s.counted} paying customers complained in the last ${s.windowDays} days; they are ${s.counted} of the ` +
      `${s.customers} users who paid the site, and paid ${formatMoney(s.countedMills)} of its ${formatMoney(s.takingsMills)}`;
    return ctx.store.vendors.disable(vendorId, reason, at);
  });
}

/**
 * Files a complaint; see {@link reviewComplaints} for when complaints disable a vendor. Throws
 * `TypeError`/`RangeError` for a bad text, {@link BrokerError} 404 for an unknown vendor and 429 past
 * {@link MAX_COMPLAINTS_PER_DAY}.
 * @returns whether this complaint disabled the vendor
 */
export async function fileComplaint(ctx: BrokerContext, userId: string, vendorId: unknown, text: unknown): Promise<{ disabled: boolean }> {
  if (typeof vendorId !== 'string' || vendorId.length > 255) throw new TypeError('vendor must be a string');
  const body = checkText(text, 'complaint', 2000);
  return ctx.store.transaction(async () => {
    const vendor = await ctx.store.vendors.byId(vendorId);
    if (!vendor) throw new BrokerError(404, 'unknown_vendor', 'no such vendor');
    const now = ctx.now();
    const at = now.toISOString();
    if ((await ctx.store.complaints.countOfUserSince(userId, new Date(now.getTime() - DAY).toISOString())) >= MAX_COMPLAINTS_PER_DAY)
      throw new BrokerError(
        429,
        'too_many_complaints',
        `you filed ${MAX_COMPLAINTS_PER_DAY} complaints in the last 24 hours: please wait before filing more`,
      );
    await ctx.store.complaints.insert(userId, vendor.id, body, at);
    return { disabled: await reviewComplaints(ctx, vendor.id, at) };
  });
}
