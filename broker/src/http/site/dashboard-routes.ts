/**
 * The vendor dashboard: sign in once with the API key (a vendor session cookie, see core/vendor-sessions.ts),
 * the dashboard while signed in, and signing out. Its POSTs are CSRF- and Origin-checked by the site
 * (site.ts) before they get here.
 * @module
 */
import express, { type Request, type Response } from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { vendorDashboard } from '../../core/dashboard.ts';
import { endVendorSession, startVendorSession } from '../../core/vendor-sessions.ts';
import { allowScripts } from '../csp.ts';
import { COPY_SCRIPT_HASH } from '../pages/api-key.ts';
import { dashboardLoginView, dashboardView } from '../pages/dashboard.ts';
import { clearVendorCookie, setVendorCookie, vendorSessionOf, visitor } from '../session.ts';
import { send, str } from './common.ts';

const DASHBOARD = '/vendors/dashboard';

/** The view of the per-page totals asked for (`?p=2`), 1 when absent or not a number. */
const viewOf = (req: Request): number => {
  const p = req.query.p;
  return typeof p === 'string' && /^[0-9]{1,6}$/.test(p) ? Number(p) : 1;
};

/** Pages that show a vendor's API key: never cached, and the copy button's script may run. */
export function keyPage(res: Response): void {
  res.set('Cache-Control', 'no-store');
  allowScripts(res, [COPY_SCRIPT_HASH]);
}

/** `GET` and `POST /vendors/dashboard`, `POST /vendors/dashboard/sign-out`. */
export function dashboardRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();
  r.get(DASHBOARD, async (req, res) => {
    const session = await vendorSessionOf(ctx, req);
    if (!session) {
      const ok = req.query.out === '1' ? 'You are signed out of the vendor dashboard.' : undefined;
      return send(res, 200, 'Vendor dashboard', dashboardLoginView(visitor(res), ok ? { ok } : {}));
    }
    keyPage(res);
    const d = await vendorDashboard(ctx, session.vendor, viewOf(req));
    send(res, 200, session.vendor.name, dashboardView(visitor(res), d, session.apiKey, ctx.publicUrl));
  });
  r.post(DASHBOARD, async (req, res) => {
    const started = await startVendorSession(ctx, str(req.body, 'apiKey'));
    if (!started) return send(res, 401, 'Vendor dashboard', dashboardLoginView(visitor(res), { error: 'That API key is not valid.' }));
    const old = await vendorSessionOf(ctx, req);
    if (old) await endVendorSession(ctx, old.tokenHash);
    setVendorCookie(ctx, res, started.token, started.expires);
    res.redirect(303, DASHBOARD);
  });
  r.post(`${DASHBOARD}/sign-out`, async (req, res) => {
    const session = await vendorSessionOf(ctx, req);
    if (session) await endVendorSession(ctx, session.tokenHash);
    clearVendorCookie(ctx, res);
    res.redirect(303, `${DASHBOARD}?out=1`);
  });
  return r;
}
