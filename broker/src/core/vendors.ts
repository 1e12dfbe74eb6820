/**
 * Vendor registration, API-key authentication, what a vendor sees about itself, and its being disabled
 * (by complaints, see complaints.ts) or enabled again by the operator.
 * @module
 */
import type { VendorRecord } from '../db/vendors.ts';
import { complaintState, type ComplaintState } from './complaints.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { newApiKey, safeEqualBytes, sha256 } from './ids.ts';
import { vendorKeyOf } from './payword/vendor-key.ts';
import { checkName } from './text.ts';

/**
 * The vendor ID for an origin such as `http://127.0.0.1:4001` (a trailing `/` is dropped).
 * Throws `RangeError` for anything but a bare http(s) origin.
 */
export function vendorIdOf(origin: unknown): string {
  if (typeof origin !== 'string') throw new TypeError('origin must be a string');
  if (origin.length === 0 || origin.length > 255 || !URL.canParse(origin)) throw new RangeError('origin must be like https://shop.example');
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError('origin must be an http or https origin');
  if (origin.replace(/\/$/, '') !== url.origin)
    throw new RangeError('origin must be scheme://host[:port] only, without path, query or user');
  return url.origin;
}

/**
 * Registers a vendor. The API key is returned once and stored only as its SHA-256.
 * @example
 * const { vendorId, apiKey } = await registerVendor(ctx, { origin: 'http://127.0.0.1:4001', name: 'Demo shop' });
 */
export async function registerVendor(
  ctx: BrokerContext,
  input: { origin: unknown; name: unknown; ownerUserId?: string | null },
): Promise<{ vendorId: string; apiKey: string }> {
  const vendorId = vendorIdOf(input.origin);
  const name = checkName(input.name);
  const apiKey = newApiKey();
  await ctx.store.transaction(async () => {
    if (await ctx.store.vendors.byId(vendorId)) throw new BrokerError(409, 'vendor_exists', `${vendorId} is registered already`);
    await ctx.store.vendors.insert(vendorId, name, sha256(apiKey), input.ownerUserId ?? null, ctx.now().toISOString());
  });
  return { vendorId, apiKey };
}

/** The vendor holding `apiKey`, or undefined. A disabled vendor still authenticates: it is told why it is refused. */
export async function authenticateVendor(ctx: BrokerContext, apiKey: unknown): Promise<VendorRecord | undefined> {
  if (typeof apiKey !== 'string' || apiKey.length < 8 || apiKey.length > 200) return undefined;
  const hash = sha256(apiKey);
  const vendor = await ctx.store.vendors.byKeyHash(hash);
  // The lookup is by a hash of a 256-bit secret; the constant-time check keeps the comparison honest too.
  return vendor && safeEqualBytes(vendor.apiKeyHash, hash) ? vendor : undefined;
}

/** What a vendor sees about itself. */
export interface VendorSummary {
  vendorId: string;
  name: string;
  balanceMills: number;
  redeemedCoins: number;
  /** Coins ever refused at redemption (all of them counted; only the newest are kept in full). */
  refusedCoins: number;
  /** Double spend attempts, repeats included. */
  doubleSpends: number;
  /** The X25519 key registered for PayWord chains (base64), or null. */
  paywordKey: string | null;
  /** PayWord chains of which the vendor cleared at least one link. */
  clearedChains: number;
  /** Links cleared over all its chains. */
  clearedLinks: number;
  /** Mills the clearings paid. */
  clearedMills: number;
  disabled: boolean;
  /** Why the vendor is disabled, or null. */
  disabledReason: string | null;
  /** Since when (ISO 8601), or null. */
  disabledAt: string | null;
  /** Where the vendor stands with the complaint rule. */
  complaints: ComplaintState;
}

/** A vendor's balance, counts (coins and chains), payword key and complaint state. */
export async function vendorSummary(ctx: BrokerContext, v: VendorRecord): Promise<VendorSummary> {
  const { store } = ctx;
  // Reads only, shown together: each figure is as committed when it was read.
  const [counts, chains, balanceMills, refusedCoins, paywordKey, complaints] = await Promise.all([
    store.vendors.counts(v.id),
    store.chains.vendorTotals(v.id),
    store.accounts.balance('vendor', v.id),
    store.refusals.total(v.id),
    vendorKeyOf(ctx, v.id),
    complaintState(ctx, v.id, ctx.now().toISOString()),
  ]);
  return {
    vendorId: v.id,
    name: v.name,
    balanceMills,
    redeemedCoins: counts.redeemed,
    refusedCoins,
    doubleSpends: counts.doubleSpends,
    paywordKey,
    clearedChains: chains.chains,
    clearedLinks: chains.links,
    clearedMills: chains.mills,
    disabled: v.disabled,
    disabledReason: v.disabledReason,
    disabledAt: v.disabledAt,
    complaints,
  };
}

/**
 * The 403 `vendor_disabled` a disabled vendor's new batch gets: why, since when, and what to do. It is not
 * an authentication failure (the key is good) and a vendor's software must not report it as one.
 */
export function vendorDisabledError(ctx: BrokerContext, v: VendorRecord): BrokerError {
  const reason = v.disabledReason ?? 'disabled by the broker';
  const since = v.disabledAt ?? 'unknown';
  const dashboard = `${ctx.publicUrl}/vendors/dashboard`;
  return new BrokerError(
    403,
    'vendor_disabled',
    `vendor ${v.id} is disabled since ${since} (${reason}), so the broker redeems none of its coins. Your API key is valid. ` +
      `Keep the coins you hold: nothing was recorded for this batch, and it can be sent again with the same batchId once the ` +
      `broker operator has reviewed the complaints and enabled the site (coins stay redeemable until their epoch's redeemBy). ` +
      `See ${dashboard} for the complaints and contact the broker operator.`,
    { reason, disabledAt: v.disabledAt, dashboard },
  );
}

/**
 * The operator enables a vendor again (CLI `enable-vendor`): its batches are redeemed again, and complaints
 * filed before now no longer count towards disabling it.
 * @returns false when there is no such vendor
 */
export async function enableVendor(ctx: BrokerContext, vendorId: string): Promise<boolean> {
  return ctx.store.transaction(() => ctx.store.vendors.enable(vendorId, ctx.now().toISOString()));
}
