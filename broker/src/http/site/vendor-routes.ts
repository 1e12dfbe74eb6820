/**
 * Vendor pages: the list and registration form (rate-limited with the API's registrations), and the
 * API-key dashboard (coins redeemed, chains cleared, the payword key).
 * @module
 */
import express, { type Request, type Response } from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { authenticateVendor, registerVendor, vendorSummary } from '../../core/vendors.ts';
import type { Limits } from '../limits.ts';
import { dashboardLoginView, dashboardView, registeredView, vendorsView } from '../pages/vendors.ts';
import { visitor } from '../session.ts';
import { formError, loggedIn, send, str, userOf } from './common.ts';

/** The routes under `/vendors`. */
export function vendorRoutes(ctx: BrokerContext, limits: Limits): express.Router {
  const r = express.Router();
  const vendorsPage = (res: Response, status: number, o: { error?: string; origin?: string; name?: string } = {}) => {
    const user = userOf(res);
    send(res, status, 'Vendors', vendorsView(visitor(res), ctx.store.vendors.all(), user ? ctx.store.vendors.ofOwner(user.id) : [], o));
  };
  const typed = (req: Request, name: string, max: number): string => {
    const v = str(req.body, name);
    return typeof v === 'string' ? v.slice(0, max) : '';
  };
  const registrationLimited = limits.registration((req, res, what) =>
    vendorsPage(res, 429, {
      error: `Too many registrations (${what}): try again later.`,
      origin: typed(req, 'origin', 255),
      name: typed(req, 'name', 100),
    }),
  );

  r.get('/vendors', (_req, res) => vendorsPage(res, 200));
  r.post('/vendors', loggedIn, registrationLimited, (req, res) => {
    const origin = str(req.body, 'origin');
    const name = str(req.body, 'name');
    try {
      const out = registerVendor(ctx, { origin, name, ownerUserId: userOf(res)!.id });
      res.set('Cache-Control', 'no-store');
      send(res, 201, 'Site registered', registeredView(out.vendorId, out.apiKey, ctx.publicUrl));
    } catch (e) {
      const d = formError(e);
      vendorsPage(res, d.status, {
        error: d.message,
        origin: typeof origin === 'string' ? origin : '',
        name: typeof name === 'string' ? name : '',
      });
    }
  });
  r.get('/vendors/dashboard', (_req, res) => send(res, 200, 'Vendor dashboard', dashboardLoginView(visitor(res))));
  r.post('/vendors/dashboard', (req, res) => {
    const vendor = authenticateVendor(ctx, str(req.body, 'apiKey'));
    if (!vendor) {
      send(res, 401, 'Vendor dashboard', dashboardLoginView(visitor(res), 'That API key is not valid.'));
      return;
    }
    const { vendors } = ctx.store;
    res.set('Cache-Control', 'no-store');
    send(
      res,
      200,
      vendor.name,
      dashboardView(vendorSummary(ctx, vendor), {
        redeemed: vendors.recentRedeemed(vendor.id),
        rejected: ctx.store.refusals.recent(vendor.id),
        refusalsByReason: ctx.store.refusals.byReason(vendor.id),
        doubleSpends: vendors.recentDoubleSpends(vendor.id),
        clearings: ctx.store.chains.recentClearings(vendor.id),
      }),
    );
  });
  return r;
}
