/**
 * The JSON API: epochs (with their redemption and return periods), vendor registration, redemption of coins
 * and clearing of chains (one batch, core/batch.ts), Request-Credit, and the PayWord routes
 * (payword-api.ts), the readers' token API (token-api.ts); what anyone can send is rate-limited (limits.ts).
 * @module
 */
import express from 'express';
import { MICROMINT_MIME, epochToJson } from '@micromint/shared';
import type { EpochRecord } from '../db/epochs.ts';
import type { BrokerContext } from '../core/context.ts';
import { redeemBatch } from '../core/batch.ts';
import { requestCredit } from '../core/credit.ts';
import { BrokerError } from '../core/errors.ts';
import { readRedeemRequest } from '../core/redeem-request.ts';
import { publicStats } from '../core/stats.ts';
import { publishedParams } from '../core/timeline.ts';
import { registerVendor, vendorSummary } from '../core/vendors.ts';
import { bearer as bearerOf, jsonBody, vendorOf } from './api-middleware.ts';
import { apiErrors, validate } from './errors.ts';
import { jsonLimited, type Limits } from './limits.ts';
import { addPaywordRoutes } from './payword-api.ts';
import { addTokenRoutes } from './token-api.ts';
import { anyOriginPreflight } from './preflight.ts';

/** Largest redemption request. */
export const REDEEM_LIMIT = '5mb';
/** Largest Request-Credit message. */
export const CREDIT_LIMIT = '2mb';

/** Builds the `/api` router. */
export function apiRouter(ctx: BrokerContext, limits: Limits): express.Router {
  const r = express.Router();
  const json = jsonBody;
  const bearer = bearerOf(ctx);
  // The epoch JSON carries redeemBy and returnsFrom: vendors learn by when to redeem, wallets when to return.
  const epochAnswer = async (e: EpochRecord) => ({
    epoch: epochToJson(await publishedParams(ctx, e)),
    broker: ctx.publicUrl,
    coinValueMills: 1,
  });

  r.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  r.get('/epochs/current', async (_req, res) => {
    const e = await ctx.store.epochs.current(ctx.now());
    if (!e) throw new BrokerError(404, 'no_epoch', 'no epoch is current');
    res.set('Access-Control-Allow-Origin', '*').json(await epochAnswer(e));
  });

  r.get('/epochs/:id', async (req, res) => {
    const e = await ctx.store.epochs.get(String(req.params.id));
    if (!e) throw new BrokerError(404, 'unknown_epoch', `no epoch ${req.params.id}`);
    res.set('Access-Control-Allow-Origin', '*').json(await epochAnswer(e));
  });

  r.get('/stats', async (_req, res) => {
    const s = await publicStats(ctx);
    res.set('Access-Control-Allow-Origin', '*').json({
      epoch: s.epoch?.params.id ?? null,
      ballsMinted: s.ballsMinted,
      setsSold: s.setsSold,
      coinsRedeemed: s.coinsRedeemed,
      doubleSpends: s.doubleSpends,
    });
  });

  r.post('/vendors', limits.registration(jsonLimited), ...json('16kb'), async (req, res) => {
    const body = validate(() => {
      const b = req.body as unknown;
      if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new TypeError('body must be a JSON object');
      return b as Record<string, unknown>;
    });
    const out = await validate(() => registerVendor(ctx, { origin: body.origin, name: body.name }));
    res.status(201).json(out);
  });

  r.get('/vendors/me', bearer, async (_req, res) => {
    res.json(await vendorSummary(ctx, vendorOf(res)));
  });

  // A disabled vendor is refused (403 vendor_disabled) inside redeemBatch, after its stored answers: a retry
  // still gets one. Limits: per address before the key is looked up, per key after; both before the body is read.
  r.post('/redeem', limits.redeemByAddress, bearer, limits.redeemByKey, ...json(REDEEM_LIMIT), async (req, res) => {
    const request = validate(() => readRedeemRequest(req.body));
    res.json(await redeemBatch(ctx, vendorOf(res), request));
  });

  // Request-Credit needs no credentials (credit always goes to the buyer of the balls), so any origin may send it.
  r.options('/credit', anyOriginPreflight);
  r.post(
    '/credit',
    (_req, res, next) => {
      res.set('Access-Control-Allow-Origin', '*');
      next();
    },
    limits.creditByAddress,
    (req, _res, next) => {
      if (!req.is(MICROMINT_MIME)) return next(new BrokerError(415, 'unsupported_media_type', `send ${MICROMINT_MIME}`));
      next();
    },
    express.text({ type: MICROMINT_MIME, limit: CREDIT_LIMIT }),
    async (req, res) => {
      if (typeof req.body !== 'string') throw new BrokerError(400, 'invalid_message', 'a Request-Credit message is required');
      res.json(await requestCredit(ctx, req.body));
    },
  );

  addPaywordRoutes(r, ctx, limits);
  addTokenRoutes(r, ctx);

  r.use((_req, _res, next) => next(new BrokerError(404, 'not_found', 'no such API route')));
  r.use(apiErrors);
  return r;
}
