/**
 * Sign-up, log-in and sessions. A session cookie carries a random token; the database keeps only its SHA-256.
 * @module
 */
import type { UserRecord } from '../db/accounts.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { newToken, newUserId, sha256 } from './ids.ts';
import { DUMMY_HASH, checkPassword, hashPassword, verifyPassword } from './passwords.ts';

const EMAIL = /^[^\s@<>"']{1,64}@[^\s@<>"']{1,190}\.[^\s@<>"']{1,63}$/;

/** Normalises and checks an e-mail address; throws `RangeError` when it is not one. */
export function normalizeEmail(email: unknown): string {
  if (typeof email !== 'string') throw new TypeError('email must be a string');
  const e = email.trim().toLowerCase();
  if (e.length > 254 || !EMAIL.test(e)) throw new RangeError('that is not an e-mail address');
  return e;
}

/**
 * Creates an account. Throws `RangeError` for a bad e-mail or password, {@link BrokerError} 409 when taken.
 * @example
 * const user = await signUp(ctx, 'alice@example.com', 'a long password');
 */
export async function signUp(ctx: BrokerContext, email: unknown, password: unknown): Promise<UserRecord> {
  const e = normalizeEmail(email);
  checkPassword(password);
  if (await ctx.store.accounts.userByEmail(e)) throw new BrokerError(409, 'email_taken', 'an account with that e-mail exists');
  const passwordHash = await hashPassword(password);
  const user: UserRecord = { id: newUserId(), email: e, passwordHash, createdAt: ctx.now().toISOString() };
  // The hash is made outside the transaction (it takes about 100 ms, and a transaction holds the write lock).
  await ctx.store.transaction(async () => {
    // Checked again inside the write lock: another request may have signed up meanwhile.
    if (await ctx.store.accounts.userByEmail(e)) throw new BrokerError(409, 'email_taken', 'an account with that e-mail exists');
    await ctx.store.accounts.insertUser(user);
  });
  return user;
}

/** The user whose e-mail and password match, or undefined. Costs one scrypt either way. */
export async function logIn(ctx: BrokerContext, email: unknown, password: unknown): Promise<UserRecord | undefined> {
  let e: string;
  try {
    e = normalizeEmail(email);
  } catch {
    return undefined;
  }
  const user = await ctx.store.accounts.userByEmail(e);
  const ok = await verifyPassword(typeof password === 'string' ? password : '', user?.passwordHash ?? DUMMY_HASH);
  return ok && user ? user : undefined;
}

/** A live session. */
export interface Session {
  user: UserRecord;
  csrf: string;
  tokenHash: Uint8Array;
}

/** Starts a session for `userId`; returns the cookie token (never stored) and its expiry. */
export async function startSession(ctx: BrokerContext, userId: string): Promise<{ token: string; expires: Date }> {
  const token = newToken();
  const now = ctx.now();
  const expires = new Date(now.getTime() + ctx.sessionTtl);
  await ctx.store.transaction(async () => {
    await ctx.store.accounts.purgeSessions(now);
    await ctx.store.accounts.insertSession(sha256(token), userId, newToken(), now.toISOString(), expires.toISOString());
  });
  return { token, expires };
}

/** The session of a cookie token, if it is live. */
export async function findSession(ctx: BrokerContext, token: string | undefined): Promise<Session | undefined> {
  if (!token || token.length > 200) return undefined;
  const tokenHash = sha256(token);
  const s = await ctx.store.accounts.session(tokenHash, ctx.now());
  if (!s) return undefined;
  const user = await ctx.store.accounts.userById(s.userId);
  return user && { user, csrf: s.csrf, tokenHash };
}

/** Ends a session. */
export async function endSession(ctx: BrokerContext, tokenHash: Uint8Array): Promise<void> {
  await ctx.store.transaction(() => ctx.store.accounts.deleteSession(tokenHash));
}
