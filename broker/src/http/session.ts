/**
 * Page sessions and CSRF protection. A logged-in visitor's CSRF token lives in the session row; an anonymous
 * visitor's in an HttpOnly cookie (double submit). Every page POST must carry the token (compared in constant
 * time) and come from this site (Origin, or Referer when Origin is absent).
 * @module
 */
import type { NextFunction, Request, Response } from 'express';
import type { BrokerContext } from '../core/context.ts';
import { newToken, safeEqual } from '../core/ids.ts';
import { findSession, type Session } from '../core/users.ts';
import { findVendorSession, type VendorSession } from '../core/vendor-sessions.ts';
import { parseCookies, serializeCookie } from './cookies.ts';

/** Cookie holding the session token. */
export const SESSION_COOKIE = 'mm_session';
/** Cookie holding an anonymous visitor's CSRF token. */
export const CSRF_COOKIE = 'mm_csrf';

/** What the page handlers know about the visitor. */
export interface Visitor {
  session: Session | undefined;
  csrf: string;
}

/** The visitor of a request (set by {@link sessions}). */
export const visitor = (res: Response): Visitor => res.locals.visitor as Visitor;

const secure = (ctx: BrokerContext): boolean => ctx.publicUrl.startsWith('https:');

/** Sets (or, with `expires` at 0, clears) an HttpOnly, SameSite=Lax session cookie. */
function writeSessionCookie(ctx: BrokerContext, res: Response, name: string, path: string, token: string, expires: Date): void {
  res.append('Set-Cookie', serializeCookie(name, token, { httpOnly: true, sameSite: 'lax', path, secure: secure(ctx), expires }));
}

/** Sets the session cookie. */
export const setSessionCookie = (ctx: BrokerContext, res: Response, token: string, expires: Date): void =>
  writeSessionCookie(ctx, res, SESSION_COOKIE, '/', token, expires);

/** Clears the session cookie. */
export const clearSessionCookie = (ctx: BrokerContext, res: Response): void =>
  writeSessionCookie(ctx, res, SESSION_COOKIE, '/', '', new Date(0));

/** Cookie holding a vendor dashboard session's token (sent to the vendor pages only). */
export const VENDOR_COOKIE = 'mm_vendor';
const VENDOR_PATH = '/vendors';

/** Sets the vendor session cookie. */
export const setVendorCookie = (ctx: BrokerContext, res: Response, token: string, expires: Date): void =>
  writeSessionCookie(ctx, res, VENDOR_COOKIE, VENDOR_PATH, token, expires);

/** Clears the vendor session cookie. */
export const clearVendorCookie = (ctx: BrokerContext, res: Response): void =>
  writeSessionCookie(ctx, res, VENDOR_COOKIE, VENDOR_PATH, '', new Date(0));

/**
 * The vendor signed in to the dashboard from this browser, if any. Its POSTs are CSRF-checked like every
 * page POST (the visitor's token, and the Origin), before any vendor route runs.
 */
export const vendorSessionOf = (ctx: BrokerContext, req: Request): Promise<VendorSession | undefined> =>
  findVendorSession(ctx, parseCookies(req.headers.cookie)[VENDOR_COOKIE]);

/** Middleware: reads the session cookie and settles the visitor's CSRF token. */
export function sessions(ctx: BrokerContext) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const cookies = parseCookies(req.headers.cookie);
    const session = await findSession(ctx, cookies[SESSION_COOKIE]);
    let csrf = session?.csrf;
    if (!csrf) {
      const anon = cookies[CSRF_COOKIE];
      if (anon && /^[A-Za-z0-9_-]{43}$/.test(anon)) csrf = anon;
      else {
        csrf = newToken();
        res.append('Set-Cookie', serializeCookie(CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'lax', path: '/', secure: secure(ctx) }));
      }
    }
    res.locals.visitor = { session, csrf } satisfies Visitor;
    next();
  };
}

/** The origins a form may be posted from: the public URL's, and the one the request was addressed to. */
function allowedOrigins(ctx: BrokerContext, req: Request): Set<string> {
  const out = new Set([new URL(ctx.publicUrl).origin]);
  const host = req.get('host');
  if (host) out.add(`${req.protocol}://${host}`);
  return out;
}

function requestOrigin(req: Request): string | undefined {
  const origin = req.get('origin');
  if (origin && origin !== 'null') return origin;
  const referer = req.get('referer');
  if (referer && URL.canParse(referer)) return new URL(referer).origin;
  return undefined;
}

/** True when a page POST passes the origin and token checks. */
export function csrfOk(ctx: BrokerContext, req: Request, res: Response): boolean {
  const origin = requestOrigin(req);
  if (!origin || !allowedOrigins(ctx, req).has(origin)) return false;
  const token = (req.body as Record<string, unknown> | undefined)?._csrf;
  return typeof token === 'string' && safeEqual(token, visitor(res).csrf);
}
