/**
 * Rate limits (express-rate-limit, in memory) on what anyone can send: vendor registration per address,
 * redemption per API key and per address, Request-Credit per address, chain authorization per address and
 * per user, payword key registration per address and per API key. Each limit is a broker option (the key
 * registration's per-key budget is a constant, {@link PAYWORD_KEY_UPDATES_PER_HOUR}); a
 * request over it is answered 429 with `Retry-After`, the `RateLimit` headers, and (on the API) JSON
 * `{ error: "rate_limited", message, retryAfterSeconds }`, and changes nothing.
 *
 * One instance of each limiter serves every route it guards, so the API and the site's form draw on the
 * same registration budget.
 * @module
 */
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { VendorRecord } from '../db/vendors.ts';
import type { BrokerContext } from '../core/context.ts';
import type { ChainRequest } from '../core/payword/authorize.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** `PUT /api/vendors/payword-key` calls one API key may make per hour: a key is replaced rarely. */
export const PAYWORD_KEY_UPDATES_PER_HOUR = 10;

/**
 * What to answer a request over its limit: `what` is the limit in words, `retryAfterSeconds` when to try again.
 * A handler that reads the store returns its promise; its rejection goes to the error handler (`next`).
 */
export type LimitHandler = (req: Request, res: Response, what: string, retryAfterSeconds: number) => void | Promise<void>;

/** The JSON 429 of the API. */
export const jsonLimited: LimitHandler = (_req, res, what, retryAfterSeconds) => {
  res
    .status(429)
    .json({ error: 'rate_limited', message: `too many requests: ${what}; try again in ${retryAfterSeconds} s`, retryAfterSeconds });
};

/** The broker's rate limiters. */
export interface Limits {
  /** `POST /api/vendors` and `POST /vendors`, per address. */
  registration: (onLimit: LimitHandler) => RequestHandler;
  /** `POST /api/redeem`, per address (before the key is checked). */
  redeemByAddress: RequestHandler;
  /** `POST /api/redeem`, per API key (after it is checked: needs `res.locals.vendor`). */
  redeemByKey: RequestHandler;
  /** `POST /api/credit`, per address. */
  creditByAddress: RequestHandler;
  /** `POST /api/payword/chains`, per address (before the body is read). */
  chainsByAddress: RequestHandler;
  /** `POST /api/payword/chains`, per user, once the wallet's signature proved who it is (needs `res.locals.chainRequest`). */
  chainsByUser: RequestHandler;
  /** `PUT /api/vendors/payword-key`, per address (before the key is checked). */
  paywordKeyByAddress: RequestHandler;
  /** `PUT /api/vendors/payword-key`, per API key (needs `res.locals.vendor`). */
  paywordKeyByVendor: RequestHandler;
}

/** The address a request counts against: IPv6 addresses by /56 prefix, as express-rate-limit advises. */
export const address = (req: Request): string => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');

/** One rate limiter: `limit` requests per `windowMs` per `key`; over it, `onLimit` answers and nothing changes. */
export function limiter(o: {
  name: string;
  windowMs: number;
  limit: number;
  what: string;
  key: (req: Request, res: Response) => string;
  onLimit: LimitHandler;
}): RequestHandler {
  return rateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    identifier: o.name,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: o.key,
    handler: (req, res, next) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfterSeconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + o.windowMs) - Date.now()) / 1000));
      Promise.resolve(o.onLimit(req, res, o.what, retryAfterSeconds)).catch(next);
    },
  });
}

/** Builds the limiters from the broker's options. */
export function createLimits(ctx: BrokerContext): Limits {
  const registration = limiter({
    name: 'registration',
    windowMs: HOUR,
    limit: ctx.registrationsPerHour,
    what: `at most ${ctx.registrationsPerHour} vendor registrations an hour from one address`,
    key: address,
    // Each route says how to answer (JSON or a page); the count is shared.
    onLimit: (req, res, what, s) => ((res.locals.onLimit as LimitHandler | undefined) ?? jsonLimited)(req, res, what, s),
  });
  return {
    registration: (onLimit) => (req, res, next) => {
      res.locals.onLimit = onLimit;
      void registration(req, res, next);
    },
    redeemByAddress: limiter({
      name: 'redeem-address',
      windowMs: MINUTE,
      limit: ctx.redeemsPerMinutePerAddress,
      what: `at most ${ctx.redeemsPerMinutePerAddress} redemption requests a minute from one address`,
      key: address,
      onLimit: jsonLimited,
    }),
    redeemByKey: limiter({
      name: 'redeem-key',
      windowMs: MINUTE,
      limit: ctx.redeemsPerMinute,
      what: `at most ${ctx.redeemsPerMinute} redemption requests a minute for one API key`,
      key: (_req, res) => `vendor:${(res.locals.vendor as VendorRecord).id}`,
      onLimit: jsonLimited,
    }),
    creditByAddress: limiter({
      name: 'credit-address',
      windowMs: MINUTE,
      limit: ctx.creditsPerMinute,
      what: `at most ${ctx.creditsPerMinute} Request-Credit messages a minute from one address`,
      key: address,
      onLimit: jsonLimited,
    }),
    chainsByAddress: limiter({
      name: 'chains-address',
      windowMs: MINUTE,
      limit: ctx.chainsPerMinutePerAddress,
      what: `at most ${ctx.chainsPerMinutePerAddress} chain requests a minute from one address`,
      key: address,
      onLimit: jsonLimited,
    }),
    chainsByUser: limiter({
      name: 'chains-user',
      windowMs: MINUTE,
      limit: ctx.chainsPerMinute,
      what: `at most ${ctx.chainsPerMinute} chain requests a minute for one user`,
      key: (_req, res) => `user:${(res.locals.chainRequest as ChainRequest).commitment.userId}`,
      onLimit: jsonLimited,
    }),
    paywordKeyByAddress: limiter({
      name: 'payword-key-address',
      windowMs: MINUTE,
      limit: ctx.redeemsPerMinutePerAddress,
      what: `at most ${ctx.redeemsPerMinutePerAddress} key registrations a minute from one address`,
      key: address,
      onLimit: jsonLimited,
    }),
    paywordKeyByVendor: limiter({
      name: 'payword-key-vendor',
      windowMs: HOUR,
      limit: PAYWORD_KEY_UPDATES_PER_HOUR,
      what: `at most ${PAYWORD_KEY_UPDATES_PER_HOUR} key registrations an hour for one API key`,
      key: (_req, res) => `vendor:${(res.locals.vendor as VendorRecord).id}`,
      onLimit: jsonLimited,
    }),
  };
}
