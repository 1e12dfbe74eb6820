/**
 * Middleware the API routes share: a JSON body of a bounded size, and vendor authentication by API key.
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { VendorRecord } from '../db/vendors.ts';
import type { BrokerContext } from '../core/context.ts';
import { BrokerError } from '../core/errors.ts';
import { authenticateVendor } from '../core/vendors.ts';

/** A JSON body of at most `limit` (415 for another type, 413 past the limit, 400 for bad JSON). */
export const jsonBody = (limit: string | number): RequestHandler[] => [
  (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is('application/json')) return next(new BrokerError(415, 'unsupported_media_type', 'send application/json'));
    next();
  },
  express.json({ limit, strict: true }),
];

/** The vendor a request authenticated as (set by {@link bearer}). */
export const vendorOf = (res: Response): VendorRecord => res.locals.vendor as VendorRecord;

/** Requires `Authorization: Bearer <API key>` of a registered vendor (401 `unauthorized` otherwise). */
export const bearer =
  (ctx: BrokerContext): RequestHandler =>
  async (req, res, next) => {
    const m = /^Bearer +(\S+)$/i.exec(req.get('authorization') ?? '');
    const vendor = m ? await authenticateVendor(ctx, m[1]) : undefined;
    if (!vendor) return next(new BrokerError(401, 'unauthorized', 'a valid vendor API key is required (Authorization: Bearer <key>)'));
    res.locals.vendor = vendor;
    next();
  };
