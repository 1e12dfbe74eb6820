/**
 * The CORS preflight of the broker's credential-free POST APIs (`/api/credit`, `/api/payword/chains`):
 * any origin may send them, since neither reads a cookie; what authorizes them is in the body.
 * @module
 */
import type { RequestHandler } from 'express';

/** Answers `OPTIONS` for a JSON or MicroMint POST from any origin, cached for ten minutes. */
export const anyOriginPreflight: RequestHandler = (_req, res) => {
  res
    .set({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'POST',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '600',
    })
    .status(204)
    .end();
};
