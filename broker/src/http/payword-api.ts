/**
 * The PayWord routes of the API: the broker's chain parameters and key, a vendor's key registration, and
 * chain authorization for wallets. Clearing is part of `POST /api/redeem` (api.ts).
 *
 * CORS: the wallet extension calls `POST /api/payword/chains` from its service worker, an extension origin,
 * so that route (and `GET /api/payword`) allow any origin. That opens no cross-site request forgery: the
 * routes read no cookie and allow no credentials; a request is authorized only by the wallet's signature
 * over the commitment, which no other site can make.
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { BrokerContext } from '../core/context.ts';
import { BrokerError } from '../core/errors.ts';
import { CHAIN_REQUEST_BYTES, authenticateChainRequest, authorizeChain, type ChainRequest } from '../core/payword/authorize.ts';
import { paywordInfo } from '../core/payword/info.ts';
import { setVendorKey } from '../core/payword/vendor-key.ts';
import { bearer, jsonBody, vendorOf } from './api-middleware.ts';
import { describeError, validate } from './errors.ts';
import type { Limits } from './limits.ts';
import { anyOriginPreflight } from './preflight.ts';

const anyOrigin: RequestHandler = (_req, res, next) => {
  res.set('Access-Control-Allow-Origin', '*');
  next();
};

/**
 * The chain request's body: JSON of at most 16 KiB. Every fault of it is the contract's 400 `bad_request`
 * (step 1), a body too large included.
 */
const chainBody = (): RequestHandler => {
  const parse = express.json({ limit: CHAIN_REQUEST_BYTES, strict: true });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.is('application/json')) return next(new BrokerError(400, 'bad_request', 'send the request as application/json'));
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const d = describeError(err);
      next(
        d.status < 500
          ? new BrokerError(
              400,
              'bad_request',
              d.code === 'payload_too_large' ? `the body is larger than ${CHAIN_REQUEST_BYTES} bytes` : d.message,
            )
          : err,
      );
    });
  };
};

/** Adds the PayWord routes to the `/api` router `r`. */
export function addPaywordRoutes(r: express.Router, ctx: BrokerContext, limits: Limits): void {
  r.get('/payword', anyOrigin, async (_req, res) => {
    res.json(await paywordInfo(ctx));
  });

  r.put(
    '/vendors/payword-key',
    limits.paywordKeyByAddress,
    bearer(ctx),
    limits.paywordKeyByVendor,
    ...jsonBody('1kb'),
    async (req, res) => {
      const key = validate(() => {
        const b = req.body as unknown;
        if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new TypeError('body must be a JSON object { key }');
        return (b as Record<string, unknown>).key;
      });
      res.json(await validate(() => setVendorKey(ctx, vendorOf(res), key)));
    },
  );

  r.options('/payword/chains', anyOriginPreflight);
  // Per address before the body is read; per user once the wallet's signature proved the user (so junk
  // naming someone cannot use up their budget); then the hold.
  r.post(
    '/payword/chains',
    anyOrigin,
    limits.chainsByAddress,
    chainBody(),
    async (req, res, next) => {
      res.locals.chainRequest = await authenticateChainRequest(ctx, req.body);
      next();
    },
    limits.chainsByUser,
    async (_req, res) => {
      const { created, answer } = await authorizeChain(ctx, res.locals.chainRequest as ChainRequest);
      res.status(created ? 201 : 200).json(answer);
    },
  );
}
