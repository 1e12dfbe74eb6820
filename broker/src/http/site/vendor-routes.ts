/**
 * Vendor pages: the list and registration form (rate-limited with the API's registrations; a site registered
 * here is signed in to its dashboard on this browser), and the dashboard (dashboard-routes.ts).
 * @module
 */
import express, { type Request, type Response } from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { startVendorSession } from '../../core/vendor-sessions.ts';
import { registerVendor } from '../../core/vendors.ts';
import type { Limits } from '../limits.ts';
import { registeredView, vendorsView } from '../pages/vendors.ts';
import { setVendorCookie, visitor } from '../session.ts';
import { dashboardRoutes, keyPage } from './dashboard-routes.ts';
import { formError, loggedIn, send, str, userOf } from './common.ts';

/** The routes under `/vendors`. */
export function vendorRoutes(ctx: BrokerContext, limits: Limits): express.Router {
  const r = express.Router();
  const vendorsPage = async (res: Response, status: number, o: { error?: string; origin?: string; name?: string } = {}) => {
    const user = userOf(res);
    const own = user ? await ctx.store.vendors.ofOwner(user.id) : [];
    send(res, status, 'Vendors', vendorsView(visitor(res), await ctx.store.vendors.all(), own, o));
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
  r.post('/vendors', loggedIn, registrationLimited, async (req, res) => {
    const origin = str(req.body, 'origin');
    const name = str(req.body, 'name');
    try {
      const out = await registerVendor(ctx, { origin, name, ownerUserId: userOf(res)!.id });
      const session = (await startVendorSession(ctx, out.apiKey))!;
      setVendorCookie(ctx, res, session.token, session.expires);
      keyPage(res);
      send(res, 201, 'Site registered', registeredView(out.vendorId, out.apiKey, ctx.publicUrl));
    } catch (e) {
      const d = formError(e);
      await vendorsPage(res, d.status, {
        error: d.message,
        origin: typeof origin === 'string' ? origin : '',
        name: typeof name === 'string' ? name : '',
      });
    }
  });
  r.use(dashboardRoutes(ctx));
  return r;
}
