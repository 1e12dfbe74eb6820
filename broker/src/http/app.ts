/**
 * The Express application: security headers, the `/api` router, then the site.
 * @module
 */
import express from 'express';
import type { BrokerContext } from '../core/context.ts';
import { apiRouter } from './api.ts';
import { CSP } from './csp.ts';
import { faviconRouter } from './favicon.ts';
import { createLimits } from './limits.ts';
import { siteRouter } from './site.ts';

/** Builds the broker's Express app. */
export function createApp(ctx: BrokerContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
    });
    next();
  });
  app.use(faviconRouter());
  const limits = createLimits(ctx);
  app.use('/api', apiRouter(ctx, limits));
  app.use(siteRouter(ctx, limits));
  return app;
}
