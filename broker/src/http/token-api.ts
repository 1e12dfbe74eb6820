/**
 * The token API: what a reader's script or agent does with an API token (`Authorization: Bearer mmt_...`)
 * instead of a browser session: read the account and its history, buy sets (the Funds-Withdrawn message
 * is in the answer), fetch a purchase again, connect a PayWord wallet key, fetch the Send-Expired
 * messages of returns, revoke the token. Every route calls the operation the account page calls, so the
 * rules, limits and history are the page's; the token's spending limit is core/tokens.ts.
 *
 * No route reads a cookie and none answers CORS: a web page of another site can neither ride a session
 * nor read an answer. Per address before the token is looked up, per token after (limits below).
 * @module
 */
import express, { type RequestHandler, type Response } from 'express';
import { aint, aobject } from '@micromint/shared';
import type { TokenRecord } from '../db/tokens.ts';
import type { WithdrawalRecord } from '../db/sets.ts';
import type { BrokerContext } from '../core/context.ts';
import { BrokerError } from '../core/errors.ts';
import { fundsWithdrawnText, sendExpiredText } from '../core/messages.ts';
import { releaseDueChains } from '../core/payword/release.ts';
import { walletKeysOf } from '../core/payword/wallet-keys.ts';
import { returnWindows } from '../core/timeline.ts';
import { allowanceOf, authenticateToken, buySetsWithToken, connectWalletKeyWithToken, readRequestId, revokeToken } from '../core/tokens.ts';
import { jsonBody } from './api-middleware.ts';
import { validate } from './errors.ts';
import { address, jsonLimited, limiter } from './limits.ts';

/** Token API calls per minute from one IP address (counted before the token is looked up). */
export const TOKEN_CALLS_PER_MINUTE_PER_ADDRESS = 600;
/** Token API calls per minute for one token. */
export const TOKEN_CALLS_PER_MINUTE = 120;
/** Largest request body of the token API. */
export const TOKEN_BODY_LIMIT = 1024;
/** Most entries a list answers (history, purchases). */
export const MAX_LIST = 100;

/** The paths of the token API under `/api`. */
const TOKEN_PATHS = ['/me', '/sets', '/withdrawals', '/wallet-keys', '/history', '/returns', '/token'];

/** The token a request authenticated with (set by the gate). */
const tokenOf = (res: Response): TokenRecord => res.locals.apiToken as TokenRecord;

/** Requires `Authorization: Bearer <API token>` (401 `invalid_token` otherwise). */
const tokenAuth =
  (ctx: BrokerContext): RequestHandler =>
  async (req, res, next) => {
    const m = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '');
    const token = m ? await authenticateToken(ctx, m[1]) : undefined;
    if (!token)
      return next(
        new BrokerError(
          401,
          'invalid_token',
          'a valid API token is required (Authorization: Bearer mmt_...); make one on your account page',
        ),
      );
    res.locals.apiToken = token;
    next();
  };

/** Reads `?limit=` (1 to {@link MAX_LIST}, default 50). */
function listLimit(value: unknown): number {
  if (value === undefined) return 50;
  if (typeof value !== 'string') throw new TypeError('limit must be given once');
  const n = /^[0-9]{1,4}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIST)) throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIST}`);
  return n;
}

/** A purchase as the API shows it. */
const purchaseJson = (w: WithdrawalRecord) => ({
  withdrawalId: w.id,
  epoch: w.epoch,
  sets: w.setIds.length,
  coins: w.coins,
  priceMills: w.priceMills,
  createdAt: w.createdAt,
});

/** A purchase with its Funds-Withdrawn message. */
const deliveryJson = async (ctx: BrokerContext, w: WithdrawalRecord) => ({
  ...purchaseJson(w),
  message: await fundsWithdrawnText(ctx, w.id),
});

/** What `GET /api/me` answers. */
async function meJson(ctx: BrokerContext, token: TokenRecord) {
  const { store } = ctx;
  await releaseDueChains(ctx, token.userId);
  const user = (await store.accounts.userById(token.userId))!;
  const epoch = await store.epochs.current(ctx.now());
  return {
    userId: user.id,
    email: user.email,
    broker: ctx.publicUrl,
    balanceMills: await store.accounts.balance('user', user.id),
    maxSetsPerPurchase: ctx.maxSetsPerPurchase,
    epoch: epoch ? { id: epoch.params.id, expiresAt: epoch.params.expiresAt } : null,
    walletKeys: await walletKeysOf(ctx, user.id),
    token: { id: token.id, name: token.name, ...allowanceOf(token), createdAt: token.createdAt, lastUsedAt: token.lastUsedAt },
  };
}

/** The body of a POST: a JSON object. */
function objectBody(body: unknown): Record<string, unknown> {
  aobject(body, 'the body');
  return body;
}

/** Adds the token API's routes to the `/api` router `r`. */
export function addTokenRoutes(r: express.Router, ctx: BrokerContext): void {
  const json = jsonBody(TOKEN_BODY_LIMIT);
  r.use(
    TOKEN_PATHS,
    limiter({
      name: 'token-address',
      windowMs: 60_000,
      limit: TOKEN_CALLS_PER_MINUTE_PER_ADDRESS,
      what: `at most ${TOKEN_CALLS_PER_MINUTE_PER_ADDRESS} API token calls a minute from one address`,
      key: address,
      onLimit: jsonLimited,
    }),
    tokenAuth(ctx),
    limiter({
      name: 'token-calls',
      windowMs: 60_000,
      limit: TOKEN_CALLS_PER_MINUTE,
      what: `at most ${TOKEN_CALLS_PER_MINUTE} calls a minute with one API token`,
      key: (_req, res) => `token:${tokenOf(res).id}`,
      onLimit: jsonLimited,
    }),
  );

  r.get('/me', async (_req, res) => {
    res.json(await meJson(ctx, tokenOf(res)));
  });

  r.post('/sets', ...json, async (req, res) => {
    const token = tokenOf(res);
    const { count, requestId } = validate(() => {
      const b = objectBody(req.body);
      aint(b.count, 1, ctx.maxSetsPerPurchase, 'count');
      return { count: b.count, requestId: readRequestId(b.requestId) };
    });
    const out = await buySetsWithToken(ctx, token, count, requestId);
    const w = (await ctx.store.sets.withdrawal(out.withdrawalId))!;
    res.status(out.created ? 201 : 200).json({
      ...(await deliveryJson(ctx, w)),
      balanceMills: await ctx.store.accounts.balance('user', token.userId),
      token: out.allowance,
    });
  });

  r.get('/withdrawals', async (req, res) => {
    const limit = validate(() => listLimit(req.query.limit));
    res.json({ withdrawals: (await ctx.store.sets.withdrawalsOfUser(tokenOf(res).userId, limit)).map(purchaseJson) });
  });

  r.get('/withdrawals/:id', async (req, res) => {
    const w = await ctx.store.sets.withdrawal(String(req.params.id));
    if (!w || w.userId !== tokenOf(res).userId) throw new BrokerError(404, 'not_found', 'there is no such purchase in this account');
    res.json(await deliveryJson(ctx, w));
  });

  r.post('/wallet-keys', ...json, async (req, res) => {
    const walletKey = validate(() => {
      const b = objectBody(req.body);
      if (typeof b.walletKey !== 'string') throw new TypeError('walletKey must be a string: base64 of the Ed25519 public key');
      return b.walletKey;
    });
    const out = await connectWalletKeyWithToken(ctx, tokenOf(res), walletKey);
    res.status(out.added ? 201 : 200).json({ walletKey: out.key, added: out.added });
  });

  r.get('/history', async (req, res) => {
    const limit = validate(() => listLimit(req.query.limit));
    const userId = tokenOf(res).userId;
    await releaseDueChains(ctx, userId);
    res.json({
      balanceMills: await ctx.store.accounts.balance('user', userId),
      entries: await ctx.store.accounts.history('user', userId, limit),
    });
  });

  r.get('/returns', async (_req, res) => {
    const userId = tokenOf(res).userId;
    res.json({
      returns: (await returnWindows(ctx, userId)).map((w) => ({
        ...w,
        sendExpired: w.open ? sendExpiredText(ctx, userId, w.epoch) : null,
      })),
    });
  });

  r.delete('/token', async (_req, res) => {
    const token = tokenOf(res);
    await revokeToken(ctx, token.userId, token.id);
    res.status(204).end();
  });
}
