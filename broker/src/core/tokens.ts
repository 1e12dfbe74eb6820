/**
 * API tokens: how a reader's script or agent acts for the reader without a browser. A token is made on
 * the account page (named, with an optional spending limit), shown once and stored as its SHA-256; with
 * it the token API (http/token-api.ts) reads the balance and history, buys sets and connects PayWord
 * wallet keys, under the same rules as the page, because it calls the same operations.
 *
 * The spending limit counts what left the balance through the token: the price of the sets it bought,
 * and the hold of every chain signed by a wallet key it connected. It is checked and spent in the same
 * transaction as the purchase or the hold, so a refused one changes nothing. A released hold does not
 * give the limit back (the limit bounds what the token could move, not what is still held).
 *
 * Why at most {@link MAX_TOKENS_PER_USER}: what an account stores must be bounded, and one token per
 * machine or agent is the normal case.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { fromBase64 } from '@micromint/shared';
import type { TokenRecord } from '../db/tokens.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';
import { dollarsToMills } from './funds.ts';
import { sha256 } from './ids.ts';
import { connectWalletKey } from './payword/wallet-keys.ts';
import { buySets } from './sell.ts';
import { checkName } from './text.ts';

/** Most tokens one user may hold. */
export const MAX_TOKENS_PER_USER = 20;
/** The form of a token's secret: `mmt_` + 32 random bytes in base64url. */
export const TOKEN_PATTERN = /^mmt_[A-Za-z0-9_-]{43}$/;
/** The form of a purchase's idempotency key. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A token's last use is written at most this often (a use is not worth a disk write per call). */
const TOUCH_EVERY_MS = 60_000;

/** What a token may still spend. */
export interface Allowance {
  /** Null for no limit. */
  limitMills: number | null;
  spentMills: number;
  /** Null for no limit. */
  leftMills: number | null;
}

/** The token's limit, what it spent and what is left. */
export const allowanceOf = (t: Pick<TokenRecord, 'limitMills' | 'spentMills'>): Allowance => ({
  limitMills: t.limitMills,
  spentMills: t.spentMills,
  leftMills: t.limitMills === null ? null : t.limitMills - t.spentMills,
});

/** Reads the page's optional limit field, in dollars: empty is no limit. Throws `RangeError`. */
export function readLimit(text: unknown): number | null {
  if (text === undefined || (typeof text === 'string' && text.trim() === '')) return null;
  return dollarsToMills(text);
}

/**
 * Makes a token for `userId`. The secret is returned once and stored only as its SHA-256.
 * Throws `TypeError`/`RangeError` for a bad name or limit, 409 `too_many_tokens` past {@link MAX_TOKENS_PER_USER}.
 * @example
 * const { token, secret } = await createToken(ctx, user.id, { name: 'laptop', limit: '5' }); // at most $5.00
 */
export async function createToken(
  ctx: BrokerContext,
  userId: string,
  o: { name: unknown; limit?: unknown },
): Promise<{ token: TokenRecord; secret: string }> {
  const name = checkName(o.name, 'the token name');
  const limitMills = readLimit(o.limit);
  const secret = `mmt_${randomBytes(32).toString('base64url')}`;
  const token: TokenRecord = {
    id: `t_${randomBytes(8).toString('hex')}`,
    userId,
    name,
    secretHash: sha256(secret),
    limitMills,
    spentMills: 0,
    createdAt: ctx.now().toISOString(),
    lastUsedAt: null,
  };
  await ctx.store.transaction(async () => {
    if ((await ctx.store.tokens.countOfUser(userId)) >= MAX_TOKENS_PER_USER)
      throw new BrokerError(409, 'too_many_tokens', `an account has at most ${MAX_TOKENS_PER_USER} API tokens: revoke one first`);
    await ctx.store.tokens.insert(token);
  });
  return { token, secret };
}

/**
 * Revokes (deletes) the user's token `tokenId` and disconnects the wallet keys it connected, in one
 * transaction; chains authorized before keep their hold. Throws 404 `unknown_token`.
 */
export async function revokeToken(ctx: BrokerContext, userId: string, tokenId: unknown): Promise<void> {
  const { store } = ctx;
  await store.transaction(async () => {
    const token = typeof tokenId === 'string' ? await store.tokens.byId(tokenId) : undefined;
    if (!token || token.userId !== userId) throw new BrokerError(404, 'unknown_token', 'there is no such API token in your account');
    for (const key of await store.tokens.keysOf(token.id)) await store.paywordKeys.deleteWalletKey(userId, key);
    await store.tokens.delete(token.id, userId);
  });
}

/** The token whose secret is `secret`, or undefined; records its use (at most once a minute). */
export async function authenticateToken(ctx: BrokerContext, secret: unknown): Promise<TokenRecord | undefined> {
  if (typeof secret !== 'string' || !TOKEN_PATTERN.test(secret)) return undefined;
  // Looked up by the hash of a 256-bit secret: nothing to compare in constant time.
  const token = await ctx.store.tokens.byHash(sha256(secret));
  if (!token) return undefined;
  const now = ctx.now();
  if (token.lastUsedAt === null || now.getTime() - Date.parse(token.lastUsedAt) >= TOUCH_EVERY_MS) {
    const at = (token.lastUsedAt = now.toISOString());
    await ctx.store.transaction(() => ctx.store.tokens.touch(token.id, at));
  }
  return token;
}

/** The token `tokenId` as it is now, or 401 `invalid_token` when it was revoked (since it authenticated). */
async function liveToken(ctx: BrokerContext, tokenId: string): Promise<TokenRecord> {
  const token = await ctx.store.tokens.byId(tokenId);
  if (!token) throw new BrokerError(401, 'invalid_token', 'this API token was revoked');
  return token;
}

/**
 * Inside the caller's transaction: adds `mills` to what token `tokenId` spent, or throws 403
 * `spending_limit` (with the allowance and `neededMills`) when that would pass its limit, or 401
 * `invalid_token` when the token was revoked meanwhile.
 */
export async function chargeToken(ctx: BrokerContext, tokenId: string, mills: number): Promise<Allowance> {
  // Joins the caller's transaction (or is one): the limit read decides the spend.
  return ctx.store.transaction(async () => {
    const token = await liveToken(ctx, tokenId);
    const before = allowanceOf(token);
    if (before.leftMills !== null && mills > before.leftMills)
      throw new BrokerError(
        403,
        'spending_limit',
        `this costs ${mills} mills, over what the API token "${token.name}" may still spend (${before.leftMills} of its limit of ${before.limitMills} mills); nothing was bought`,
        { limitMills: before.limitMills, spentMills: before.spentMills, leftMills: before.leftMills, neededMills: mills },
      );
    await ctx.store.tokens.spend(tokenId, mills);
    return allowanceOf({ limitMills: token.limitMills, spentMills: token.spentMills + mills });
  });
}

/**
 * Inside the chain authorization's transaction: when the wallet key that signed the chain request was
 * connected by an API token, charges the hold to that token ({@link chargeToken}). Keys connected on the
 * account page are not limited.
 */
export async function chargeChainHold(ctx: BrokerContext, userId: string, walletKey: Uint8Array, heldMills: number): Promise<void> {
  const tokenId = await ctx.store.tokens.tokenOfKey(userId, walletKey);
  if (tokenId !== undefined) await chargeToken(ctx, tokenId, heldMills);
}

/** Reads a purchase's optional idempotency key; throws `TypeError`/`RangeError`. */
export function readRequestId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError('requestId must be a string');
  if (!REQUEST_ID_PATTERN.test(value)) throw new RangeError('requestId must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -');
  return value;
}

/**
 * Buys `count` sets with the token, in one transaction: the page's purchase (core/sell.ts) and the
 * token's spending limit; either fails and nothing is bought. A `requestId` that bought before gives
 * that purchase again (`created` false); with another count it is 409 `request_mismatch`.
 * @example
 * const { withdrawalId } = await buySetsWithToken(ctx, token, 2, 'job-42');
 */
export async function buySetsWithToken(
  ctx: BrokerContext,
  token: TokenRecord,
  count: number,
  requestId?: string,
): Promise<{ created: boolean; withdrawalId: string; allowance: Allowance }> {
  const { store } = ctx;
  return store.transaction(async () => {
    // The token authenticated before this transaction: it may have been revoked since.
    const current = await liveToken(ctx, token.id);
    if (requestId !== undefined) {
      const prior = await store.tokens.purchase(token.userId, requestId);
      if (prior && prior.count !== count)
        throw new BrokerError(409, 'request_mismatch', `requestId ${requestId} bought ${prior.count} set(s) before, not ${count}`);
      if (prior) return { created: false, withdrawalId: prior.withdrawalId, allowance: allowanceOf(current) };
    }
    const purchase = await buySets(ctx, token.userId, count);
    const allowance = await chargeToken(ctx, token.id, purchase.priceMills);
    if (requestId !== undefined)
      await store.tokens.insertPurchase(token.userId, requestId, purchase.withdrawalId, count, ctx.now().toISOString());
    return { created: true, withdrawalId: purchase.withdrawalId, allowance };
  });
}

/**
 * Connects a wallet key with the token (the page's rules, core/payword/wallet-keys.ts); a key it adds
 * is bound to the token: its chain holds count against the token's limit and revoking the token
 * disconnects it. A key connected already is left as it is.
 */
export async function connectWalletKeyWithToken(
  ctx: BrokerContext,
  token: TokenRecord,
  text: unknown,
): Promise<{ key: string; added: boolean }> {
  return ctx.store.transaction(async () => {
    // Revoked since it authenticated: a key it connected now would be bound to no token, so unlimited.
    await liveToken(ctx, token.id);
    const out = await connectWalletKey(ctx, token.userId, text);
    if (out.added) await ctx.store.tokens.bindKey(token.id, token.userId, fromBase64(out.key));
    return out;
  });
}

/** The user's tokens, newest first. */
export const tokensOf = (ctx: BrokerContext, userId: string): Promise<TokenRecord[]> => ctx.store.tokens.ofUser(userId);
