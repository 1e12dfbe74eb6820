/**
 * The media type a paid URL's content will have, for `resource.mimeType` of its 402: found before
 * the content is served, from the path's file name extension by Express's own lookup (the one
 * `res.type()` and `express.static` use, in Express 4 and 5), or `text/html` for a path without one.
 * A price rule may declare the type instead (`{ price, mimeType }`, see `prices.ts`).
 * @module
 */
import { extname } from 'node:path';
import type { Response } from 'express';
import { MIME_TYPE_PATTERN } from './prices.ts';

/** The media type of a page (a path without an extension, such as `/` or `/club/`). */
export const PAGE_MIME_TYPE = 'text/html';

/** What an unknown extension is served as. */
const UNKNOWN_MIME_TYPE = 'application/octet-stream';

/**
 * The media type of the content at `path` (a request path, percent-encoded or not) as the app's
 * Express would label it, without parameters.
 * @example
 * contentTypeOf(res, '/articles/story.html'); // 'text/html'
 * contentTypeOf(res, '/data/feed.json'); // 'application/json'
 * contentTypeOf(res, '/club/'); // 'text/html'
 */
export function contentTypeOf(res: Response, path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // the raw path's extension then
  }
  const ext = decoded.endsWith('/') ? '' : extname(decoded);
  if (!ext) return PAGE_MIME_TYPE;
  // res.type() is Express's extension lookup; run it against a stand-in so that the real
  // response's headers are left alone (the 402 sets its own Content-Type).
  let found: unknown;
  const probe = {
    set(_field: string, value: unknown) {
      found = value;
      return probe;
    },
  };
  try {
    (res.type as (this: unknown, type: string) => unknown).call(probe, ext);
  } catch {
    return UNKNOWN_MIME_TYPE;
  }
  const type = typeof found === 'string' ? found.split(';')[0]!.trim().toLowerCase() : '';
  return MIME_TYPE_PATTERN.test(type) ? type : UNKNOWN_MIME_TYPE;
}
