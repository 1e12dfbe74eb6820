/**
 * Random identifiers and the hashing of secrets before they are stored.
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A user ID: `u_` + 16 lowercase hex characters (64 random bits). */
export const newUserId = (): string => `u_${randomBytes(8).toString('hex')}`;
/** A withdrawal (purchase) ID: `w_` + 16 hex characters. */
export const newWithdrawalId = (): string => `w_${randomBytes(8).toString('hex')}`;
/** A vendor API key: `mmk_` + 32 random bytes in base64url. Shown once, stored as its SHA-256. */
export const newApiKey = (): string => `mmk_${randomBytes(32).toString('base64url')}`;
/** A session or CSRF token: 32 random bytes in base64url. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/** SHA-256 of a string (UTF-8) or bytes. */
export const sha256 = (data: string | Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

/** Constant-time equality of two strings (false when lengths differ, without comparing contents). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/** Constant-time equality of two byte arrays of the same public length. */
export function safeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
