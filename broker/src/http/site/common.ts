/**
 * What the site's routers share: sending a page, the signed-in user, the log-in gate, form fields, and the
 * status and message a failed form action is answered with.
 * @module
 */
import type { NextFunction, Request, Response } from 'express';
import type { UserRecord } from '../../db/accounts.ts';
import { describeError } from '../errors.ts';
import type { Html } from '../html.ts';
import { page } from '../pages/layout.ts';
import { messageView } from '../pages/vendors.ts';
import { visitor } from '../session.ts';

/** Sends a whole page. */
export const send = (res: Response, status: number, title: string, body: Html): void => {
  res
    .status(status)
    .type('html')
    .send(page(title, visitor(res), body));
};

/** The signed-in user, if any. */
export const userOf = (res: Response): UserRecord | undefined => visitor(res).session?.user;

/**
 * Redirect to log-in unless there is a session. Pages behind it are one user's own: the delivery page and
 * the `.mm` file hold the balls themselves (spendable money), so no cache, shared or browser, may keep them.
 */
export function loggedIn(req: Request, res: Response, next: NextFunction): void {
  if (userOf(res)) {
    res.set('Cache-Control', 'no-store');
    return next();
  }
  if (req.method === 'GET') return res.redirect(303, '/login');
  send(res, 401, 'Log in', messageView('Please log in', 'Your session has ended. Log in and try again.'));
}

/** A form field as sent (a string, or undefined). */
export const str = (body: unknown, name: string): unknown => (body as Record<string, unknown> | undefined)?.[name];

/** Status and message of a failed form action: a validator's TypeError / RangeError is the user's 422. */
export function formError(e: unknown): { status: number; message: string } {
  return e instanceof RangeError || e instanceof TypeError ? { status: 422, message: e.message } : describeError(e);
}
