/**
 * The Express application: security headers, the `/api` router, then the site.
 * @module
 */
import express from 'express';
import type { BrokerContext } from '../core/context.ts';
import { apiRouter } from './api.ts';
import { createLimits } from './limits.ts';
import { siteRouter } from './site.ts';

const CSP = [
  "default-src 'none'",
  // Pages run no script at all; the only <script> elements are MicroMint data blocks, which never execute.
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

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
  const limits = createLimits(ctx);
  app.use('/api', apiRouter(ctx, limits));
  app.use(siteRouter(ctx, limits));
  return app;
}
