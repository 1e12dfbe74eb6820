/**
 * The signed-in user's account: the page, adding funds, buying sets, returning unspent coins, complaints.
 * (Connecting a wallet is wallet-routes.ts.)
 * @module
 */
import express from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { fileComplaint } from '../../core/complaints.ts';
import { BrokerError } from '../../core/errors.ts';
import { addFunds, dollarsToMills } from '../../core/funds.ts';
import { sendExpiredText } from '../../core/messages.ts';
import { buySets } from '../../core/sell.ts';
import { returnWindows } from '../../core/timeline.ts';
import { describeError } from '../errors.ts';
import { returnConfirmView, returnView } from '../pages/withdrawal.ts';
import { visitor } from '../session.ts';
import { MESSAGES, accountPage } from './account-page.ts';
import { formError, loggedIn, send, str, userOf } from './common.ts';

/** Reads the count of sets to buy; a 422 {@link BrokerError} unless it is 1 to `max`. */
function setCount(text: unknown, max: number): number {
  if (typeof text !== 'string' || !/^[0-9]{1,4}$/.test(text))
    throw new BrokerError(422, 'invalid_count', 'the number of sets must be a whole number');
  const count = Number(text);
  if (count < 1 || count > max) throw new BrokerError(422, 'invalid_count', `buy between 1 and ${max} sets at a time`);
  return count;
}

/** The routes under `/account` (but the wallet's). */
export function accountRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();

  r.get('/account', loggedIn, async (req, res) => {
    // Own keys only: `?msg=__proto__` or `?msg=constructor` would otherwise reach Object.prototype.
    const key = req.query.msg;
    const msg = typeof key === 'string' && Object.hasOwn(MESSAGES, key) ? MESSAGES[key] : undefined;
    await accountPage(ctx, res, userOf(res)!, 200, msg ? { ok: msg } : {});
  });
  r.post('/account/funds', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      let mills: number;
      try {
        mills = dollarsToMills(str(req.body, 'amount'));
      } catch (e) {
        throw new BrokerError(422, 'invalid_amount', (e as Error).message);
      }
      await addFunds(ctx, user, str(req.body, 'provider'), mills);
      res.redirect(303, '/account?msg=funds');
    } catch (e) {
      const d = describeError(e);
      await accountPage(ctx, res, user, d.status, { error: d.message });
    }
  });
  r.post('/account/buy', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      const purchase = await buySets(ctx, user.id, setCount(str(req.body, 'count'), ctx.maxSetsPerPurchase));
      res.redirect(303, `/withdrawals/${purchase.withdrawalId}?new=1`);
    } catch (e) {
      const d = describeError(e);
      await accountPage(ctx, res, user, d.status, {
        error: d.code === 'insufficient_funds' ? `${d.message}. Add funds first.` : d.message,
      });
    }
  });
  // The wallet extension returns every unspent coin as soon as a Send-Expired script is on a broker page, so
  // that page is a state change: it answers only a CSRF-checked POST. A GET (which any site can cause with a
  // link, and which carries the SameSite=Lax cookie) gets the button that sends that POST.
  // Only epochs whose returns are open get a Send-Expired: before returnsFrom the broker would refuse the
  // return (vendors may still redeem those coins), so the page gives the date instead.
  r.get('/account/return', loggedIn, async (_req, res) =>
    send(res, 200, 'Return unspent coins', returnConfirmView(visitor(res), await returnWindows(ctx, userOf(res)!.id))),
  );
  r.post('/account/return', loggedIn, async (_req, res) => {
    const user = userOf(res)!;
    const windows = await returnWindows(ctx, user.id);
    const messages = windows.filter((w) => w.open).map((w) => ({ epoch: w.epoch, text: sendExpiredText(ctx, user.id, w.epoch) }));
    send(
      res,
      200,
      'Return unspent coins',
      returnView(
        visitor(res),
        messages,
        windows.filter((w) => !w.open),
      ),
    );
  });
  r.post('/account/complaints', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      const out = await fileComplaint(ctx, user.id, str(req.body, 'vendorId'), str(req.body, 'text'));
      res.redirect(303, `/account?msg=${out.disabled ? 'complaint-disabled' : 'complaint'}#complaints`);
    } catch (e) {
      const d = formError(e);
      await accountPage(ctx, res, user, d.status, { error: d.message });
    }
  });
  return r;
}
