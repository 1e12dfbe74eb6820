/**
 * Turning failures into answers: JSON `{ error, message }` for the API, a page for the site.
 * @module
 */
import type { NextFunction, Request, Response } from 'express';
import { BrokerError } from '../core/errors.ts';

/** Throws a validator's `TypeError` as a 400 and its `RangeError` as a 422 {@link BrokerError}; any other error as it is. */
function rethrowAsBadInput(e: unknown): never {
  if (e instanceof TypeError) throw new BrokerError(400, 'invalid_request', e.message);
  if (e instanceof RangeError) throw new BrokerError(422, 'invalid_value', e.message);
  throw e;
}

/**
 * Runs a validator and turns its `TypeError` into a 400 and its `RangeError` into a 422 {@link BrokerError},
 * so that bugs elsewhere (also TypeErrors) are never mistaken for bad input. An async validator (an
 * operation on the store that checks its input) gives a promise whose rejection is turned the same way.
 * @example
 * const body = validate(() => objectBody(req.body));
 * const out = await validate(() => registerVendor(ctx, body));
 */
export function validate<T>(fn: () => T): T {
  try {
    const out = fn();
    return (out instanceof Promise ? out.catch(rethrowAsBadInput) : out) as T;
  } catch (e) {
    return rethrowAsBadInput(e);
  }
}

/** What an error thrown while handling a request is answered with. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  /** Extra fields of the JSON answer (a {@link BrokerError}'s details). */
  details?: BrokerError['details'];
}

/** Status, code and message of any error thrown while handling a request. */
export function describeError(err: unknown): ErrorAnswer {
  if (err instanceof BrokerError) return { status: err.status, code: err.code, message: err.message, details: err.details };
  const e = err as { type?: string; status?: number; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return { status: 413, code: 'payload_too_large', message: 'the request body is too large' };
    case 'entity.parse.failed':
      return { status: 400, code: 'invalid_json', message: 'the request body is not valid JSON' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'unsupported_media_type', message: e.message ?? 'unsupported encoding' };
    case 'parameters.too.many':
      return { status: 413, code: 'payload_too_large', message: 'too many form fields' };
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, code: 'bad_request', message: e.message ?? 'bad request' };
  return { status: 500, code: 'internal_error', message: 'the broker failed; nothing was changed' };
}

/** The API's error middleware. */
export function apiErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  const d = describeError(err);
  if (d.status >= 500) console.error('[broker] API error:', err);
  if (d.status === 401) res.set('WWW-Authenticate', 'Bearer realm="micromint-broker"');
  res.status(d.status).json({ ...d.details, error: d.code, message: d.message });
}
