/**
 * Vendor registration, API-key authentication, and complaints that can disable a vendor.
 * @module
 */
import type { VendorRecord } from '../db/vendors.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { newApiKey, safeEqualBytes, sha256 } from './ids.ts';

/**
 * The vendor ID for an origin such as `http://127.0.0.1:4001` (a trailing `/` is dropped).
 * Throws `RangeError` for anything but a bare http(s) origin.
 */
export function vendorIdOf(origin: unknown): string {
  if (typeof origin !== 'string') throw new TypeError('origin must be a string');
  if (origin.length === 0 || origin.length > 255 || !URL.canParse(origin)) throw new RangeError('origin must be like https://shop.example');
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError('origin must be an http or https origin');
  if (origin.replace(/\/$/, '') !== url.origin) throw new RangeError('origin must be scheme://host[:port] only, without path, query or user');
  return url.origin;
}

/** Checks a display name; throws `TypeError`/`RangeError`. */
export function checkName(name: unknown, what = 'name', max = 100): string {
  if (typeof name !== 'string') throw new TypeError(`${what} must be a string`);
  const n = name.trim();
  if (n.length === 0 || n.length > max) throw new RangeError(`${what} must be 1 to ${max} characters`);
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new RangeError(`${what} must not contain control characters`);
  return n;
}

/**
 * Checks a free text of several lines (a complaint from a textarea, which browsers send with CRLF line
 * ends): like {@link checkName}, but line breaks and tabs are allowed, and CRLF / CR become LF.
 */
export function checkText(text: unknown, what: string, max: number): string {
  if (typeof text !== 'string') throw new TypeError(`${what} must be a string`);
  const t = text.replace(/\r\n?/g, '\n').trim();
  if (t.length === 0 || t.length > max) throw new RangeError(`${what} must be 1 to ${max} characters`);
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(t)) throw new RangeError(`${what} must not contain control characters`);
  return t;
}

/**
 * Registers a vendor. The API key is returned once and stored only as its SHA-256.
 * @example
 * const { vendorId, apiKey } = registerVendor(ctx, { origin: 'http://127.0.0.1:4001', name: 'Demo shop' });
 */
export function registerVendor(
  ctx: BrokerContext,
  input: { origin: unknown; name: unknown; ownerUserId?: string | null },
): { vendorId: string; apiKey: string } {
  const vendorId = vendorIdOf(input.origin);
  const name = checkName(input.name);
  const apiKey = newApiKey();
  ctx.store.transaction(() => {
    if (ctx.store.vendors.byId(vendorId)) throw new BrokerError(409, 'vendor_exists', `${vendorId} is registered already`);
    ctx.store.vendors.insert(vendorId, name, sha256(apiKey), input.ownerUserId ?? null, ctx.now().toISOString());
  });
  return { vendorId, apiKey };
}

/** The vendor holding `apiKey`, or undefined. */
export function authenticateVendor(ctx: BrokerContext, apiKey: unknown): VendorRecord | undefined {
  if (typeof apiKey !== 'string' || apiKey.length < 8 || apiKey.length > 200) return undefined;
  const hash = sha256(apiKey);
  const vendor = ctx.store.vendors.byKeyHash(hash);
  // The lookup is by a hash of a 256-bit secret; the constant-time check keeps the comparison honest too.
  return vendor && safeEqualBytes(vendor.apiKeyHash, hash) ? vendor : undefined;
}

/** What a vendor sees about itself. */
export interface VendorSummary {
  vendorId: string;
  name: string;
  balanceMills: number;
  redeemedCoins: number;
  refusedCoins: number;
  doubleSpends: number;
  disabled: boolean;
}

/** A vendor's balance and counts. */
export function vendorSummary(ctx: BrokerContext, v: VendorRecord): VendorSummary {
  const counts = ctx.store.vendors.counts(v.id);
  return {
    vendorId: v.id,
    name: v.name,
    balanceMills: ctx.store.accounts.balance('vendor', v.id),
    redeemedCoins: counts.redeemed,
    refusedCoins: counts.rejected,
    doubleSpends: counts.doubleSpends,
    disabled: v.disabled,
  };
}

/**
 * Disables a vendor once `complaintThreshold` different paying customers (users whose coins it
 * redeemed) have complained about it. Runs when a complaint is filed and after each redemption,
 * since a reader usually complains before the vendor has redeemed that day's coins.
 * Call inside a store transaction.
 * @returns whether this call disabled the vendor
 */
export function reviewComplaints(ctx: BrokerContext, vendorId: string, at: string): boolean {
  const vendor = ctx.store.vendors.byId(vendorId);
  if (!vendor || vendor.disabled) return false;
  const customers = ctx.store.complaints.distinctCustomers(vendorId);
  if (customers < ctx.complaintThreshold) return false;
  ctx.store.vendors.disable(vendorId, `${customers} paying customers complained`, at);
  return true;
}

/**
 * Files a complaint; see {@link reviewComplaints} for when complaints disable a vendor.
 * @returns whether this complaint disabled the vendor
 */
export function fileComplaint(ctx: BrokerContext, userId: string, vendorId: unknown, text: unknown): { disabled: boolean } {
  if (typeof vendorId !== 'string' || vendorId.length > 255) throw new TypeError('vendor must be a string');
  const body = checkText(text, 'complaint', 2000);
  return ctx.store.transaction(() => {
    const vendor = ctx.store.vendors.byId(vendorId);
    if (!vendor) throw new BrokerError(404, 'unknown_vendor', 'no such vendor');
    const at = ctx.now().toISOString();
    ctx.store.complaints.insert(userId, vendor.id, body, at);
    return { disabled: reviewComplaints(ctx, vendor.id, at) };
  });
}
