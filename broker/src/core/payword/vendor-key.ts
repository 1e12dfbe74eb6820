/**
 * A vendor registers its X25519 key (`PUT /api/vendors/payword-key`). The broker authorizes a chain only
 * to the key its vendor registered, so a wallet cannot be talked into a chain whose MAC key a third party
 * holds. A later call replaces the key; chains authorized before keep the key their commitment names.
 * @module
 */
import { X25519_KEY_BYTES, fromBase64, macKey, newAgreementKey, toBase64 } from '@micromint/shared';
import type { VendorRecord } from '../../db/vendors.ts';
import type { BrokerContext } from '../context.ts';
import { BrokerError } from '../errors.ts';

/**
 * Reads a vendor key: base64 of 32 bytes that is a usable X25519 public key. A low-order point gives every
 * chain the all-zero shared secret (no MAC key): it is refused here rather than at the first payment.
 * Throws `TypeError` for a wrong type (400), a 422 {@link BrokerError} `invalid_value` for a wrong value.
 */
export function readVendorKey(text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('body.key must be a string');
  let key: Uint8Array | undefined;
  try {
    key = text.length <= 64 ? fromBase64(text) : undefined;
  } catch {
    key = undefined;
  }
  if (!key || key.length !== X25519_KEY_BYTES)
    throw new BrokerError(422, 'invalid_value', 'body.key must be base64 of a 32-byte X25519 public key');
  try {
    macKey(newAgreementKey().secretKey, key, new Uint8Array(16));
  } catch {
    throw new BrokerError(422, 'invalid_value', 'body.key is a low-order X25519 point: no MAC key can be agreed with it');
  }
  return key;
}

/**
 * Registers (or replaces) `vendor`'s payword key.
 * @example
 * await setVendorKey(ctx, vendor, toBase64(newAgreementKey().publicKey)); // { vendorId, key }
 */
export async function setVendorKey(ctx: BrokerContext, vendor: VendorRecord, text: unknown): Promise<{ vendorId: string; key: string }> {
  const key = readVendorKey(text);
  await ctx.store.transaction(() => ctx.store.paywordKeys.setVendorKey(vendor.id, key, ctx.now().toISOString()));
  return { vendorId: vendor.id, key: toBase64(key) };
}

/** The vendor's registered payword key, base64, or null. */
export async function vendorKeyOf(ctx: BrokerContext, vendorId: string): Promise<string | null> {
  const k = await ctx.store.paywordKeys.vendorKey(vendorId);
  return k ? toBase64(k.key) : null;
}
