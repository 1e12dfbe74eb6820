/**
 * Vendor dashboard sessions. A vendor signs in once with its API key; its browser then holds a random
 * session token in a cookie. The database keeps the token's SHA-256 and the API key sealed with AES-256-GCM
 * under HMAC-SHA256(token): the key can be shown again (the dashboard's "copy") to whoever holds the
 * cookie, and to nobody who only holds a copy of the database.
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { VendorRecord } from '../db/vendors.ts';
import type { BrokerContext } from './context.ts';
import { newToken, safeEqualBytes, sha256 } from './ids.ts';
import { authenticateVendor } from './vendors.ts';

/** Most live sessions one vendor keeps: signing in once more ends its oldest. */
export const MAX_VENDOR_SESSIONS = 20;

/** A live vendor session. */
export interface VendorSession {
  vendor: VendorRecord;
  /** The API key the vendor signed in with. */
  apiKey: string;
  tokenHash: Uint8Array;
}

const sealingKey = (token: string): Buffer => createHmac('sha256', token).update('micromint vendor session: api key').digest();

function seal(token: string, apiKey: string): Uint8Array {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(token), nonce);
  const body = Buffer.concat([cipher.update(apiKey, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

function unseal(token: string, sealed: Uint8Array): string | undefined {
  if (sealed.length < 12 + 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(token), sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * Signs a vendor in with its API key: a new session (expired ones purged, the vendor's oldest beyond
 * {@link MAX_VENDOR_SESSIONS} ended). Undefined when the key is not a vendor's.
 * @example
 * const s = await startVendorSession(ctx, apiKey); // { token, expires, vendor } → the cookie
 */
export async function startVendorSession(
  ctx: BrokerContext,
  apiKey: unknown,
): Promise<{ token: string; expires: Date; vendor: VendorRecord } | undefined> {
  const vendor = await authenticateVendor(ctx, apiKey);
  if (!vendor) return undefined;
  const token = newToken();
  const now = ctx.now();
  const expires = new Date(now.getTime() + ctx.sessionTtl);
  const sealed = seal(token, apiKey as string);
  await ctx.store.transaction(async () => {
    const sessions = ctx.store.vendorSessions;
    await sessions.purge(now);
    await sessions.insert(sha256(token), vendor.id, sealed, now.toISOString(), expires.toISOString());
    await sessions.prune(vendor.id, MAX_VENDOR_SESSIONS);
  });
  return { token, expires, vendor };
}

/** The live session of a cookie token: undefined if unknown, expired, or its key is no longer the vendor's. */
export async function findVendorSession(ctx: BrokerContext, token: string | undefined): Promise<VendorSession | undefined> {
  if (!token || token.length > 200) return undefined;
  const tokenHash = sha256(token);
  const row = await ctx.store.vendorSessions.get(tokenHash, ctx.now());
  const apiKey = row && unseal(token, row.sealedKey);
  const vendor = row && (await ctx.store.vendors.byId(row.vendorId));
  if (!apiKey || !vendor || !safeEqualBytes(vendor.apiKeyHash, sha256(apiKey))) return undefined;
  return { vendor, apiKey, tokenHash };
}

/** Ends a vendor session (signing out). */
export async function endVendorSession(ctx: BrokerContext, tokenHash: Uint8Array): Promise<void> {
  await ctx.store.transaction(() => ctx.store.vendorSessions.remove(tokenHash));
}
