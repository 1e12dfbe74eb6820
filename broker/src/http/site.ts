/**
 * The web site (MMBroker's pages): sign-up, log-in, account, wallets, getting the wallet, purchases, returns, vendors. Every
 * page POST is CSRF-checked (token and Origin) here, before any area's router runs; each area is its own
 * router under `site/`.
 * @module
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { BrokerContext } from '../core/context.ts';
import { publicStats } from '../core/stats.ts';
import { describeError } from './errors.ts';
import type { Limits } from './limits.ts';
import { homeView } from './pages/home.ts';
import { messageView } from './pages/vendors.ts';
import { csrfOk, sessions, visitor } from './session.ts';
import { accountRoutes } from './site/account-routes.ts';
import { authRoutes } from './site/auth-routes.ts';
import { getWalletRoutes } from './site/get-wallet-routes.ts';
import { tokenRoutes } from './site/token-routes.ts';
import { send } from './site/common.ts';
import { vendorRoutes } from './site/vendor-routes.ts';
import { walletRoutes } from './site/wallet-routes.ts';
import { withdrawalRoutes } from './site/withdrawal-routes.ts';

/** Builds the router of the site's pages. */
export function siteRouter(ctx: BrokerContext, limits: Limits): express.Router {
  const r = express.Router();
  r.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  r.use(sessions(ctx));
  r.use((req, res, next) => {
    if (req.method !== 'POST' || csrfOk(ctx, req, res)) return next();
    send(
      res,
      403,
      'Refused',
      messageView('Request refused', 'This form expired or was sent from another site. Reload the page and try again.'),
    );
  });

  r.get('/', async (_req, res) => send(res, 200, 'MicroMint', homeView(visitor(res), await publicStats(ctx))));
  r.use(authRoutes(ctx));
  r.use(accountRoutes(ctx));
  r.use(walletRoutes(ctx));
  r.use(getWalletRoutes(ctx));
  r.use(tokenRoutes(ctx));
  r.use(withdrawalRoutes(ctx));
  r.use(vendorRoutes(ctx, limits));

  r.use((_req, res) => send(res, 404, 'Not found', messageView('Not found', 'There is no such page.')));
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const d = describeError(err);
    if (d.status >= 500) console.error('[broker] page error:', err);
    if (!res.locals.visitor) res.locals.visitor = { session: undefined, csrf: '' };
    send(res, d.status, 'Error', messageView(d.status >= 500 ? 'Something went wrong' : 'Request refused', d.message));
  });
  return r;
}
