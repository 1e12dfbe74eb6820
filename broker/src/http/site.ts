/**
 * The web site (MMBroker's pages): sign-up, log-in, account, purchases, returns, vendors.
 * Every page POST is CSRF-checked before its handler runs.
 * @module
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { MICROMINT_MIME } from '@micromint/shared';
import type { UserRecord } from '../db/accounts.ts';
import type { BrokerContext } from '../core/context.ts';
import { fileComplaint } from '../core/complaints.ts';
import { BrokerError } from '../core/errors.ts';
import { addFunds, dollarsToMills } from '../core/funds.ts';
import { fundsWithdrawnText, sendExpiredText } from '../core/messages.ts';
import { buySets } from '../core/sell.ts';
import { publicStats } from '../core/stats.ts';
import { returnWindows } from '../core/timeline.ts';
import { endSession, logIn, signUp, startSession } from '../core/users.ts';
import { authenticateVendor, registerVendor, vendorSummary } from '../core/vendors.ts';
import { describeError } from './errors.ts';
import type { Html } from './html.ts';
import type { Limits } from './limits.ts';
import { accountView, type AccountData } from './pages/account.ts';
import { authView } from './pages/auth.ts';
import { homeView } from './pages/home.ts';
import { page } from './pages/layout.ts';
import { dashboardLoginView, dashboardView, messageView, registeredView, vendorsView } from './pages/vendors.ts';
import { returnConfirmView, returnView, withdrawalView } from './pages/withdrawal.ts';
import { clearSessionCookie, csrfOk, sessions, setSessionCookie, visitor } from './session.ts';

/** Fixed notices chosen by `?msg=` after a redirect (never text from the URL itself). */
const MESSAGES: Record<string, string> = {
  welcome: 'Welcome! Add funds, then buy a superbin set to fill your wallet.',
  funds: 'Funds added.',
  complaint: 'Thank you: your complaint was recorded.',
  'complaint-disabled': 'Thank you: your complaint was recorded, and enough users complained that this site is now disabled.',
};

const send = (res: Response, status: number, title: string, body: Html): void => {
  res.status(status).type('html').send(page(title, visitor(res), body));
};

const userOf = (res: Response): UserRecord | undefined => visitor(res).session?.user;

/**
 * Redirect to log-in unless there is a session. Pages behind it are one user's own: the delivery page and
 * the `.mm` file hold the balls themselves (spendable money), so no cache, shared or browser, may keep them.
 */
function loggedIn(req: Request, res: Response, next: NextFunction): void {
  if (userOf(res)) {
    res.set('Cache-Control', 'no-store');
    return next();
  }
  if (req.method === 'GET') return res.redirect(303, '/login');
  send(res, 401, 'Log in', messageView('Please log in', 'Your session has ended. Log in and try again.'));
}

const str = (body: unknown, name: string): unknown => (body as Record<string, unknown> | undefined)?.[name];

/** Builds the router of the site's pages. */
export function siteRouter(ctx: BrokerContext, limits: Limits): express.Router {
  const r = express.Router();
  r.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 50 }));
  r.use(sessions(ctx));
  r.use((req, res, next) => {
    if (req.method !== 'POST' || csrfOk(ctx, req, res)) return next();
    send(res, 403, 'Refused', messageView('Request refused', 'This form expired or was sent from another site. Reload the page and try again.'));
  });

  const accountData = (user: UserRecord): AccountData => {
    const { store } = ctx;
    const withdrawals = store.sets.withdrawalsOfUser(user.id);
    return {
      user,
      balanceMills: store.accounts.balance('user', user.id),
      epoch: store.epochs.current(ctx.now()),
      providers: ctx.fundingProviders,
      withdrawals,
      ledger: store.accounts.history('user', user.id, 100),
      complaints: store.complaints.ofUser(user.id),
      vendors: store.vendors.all(),
      coins: {
        bought: store.sets.coinsBought(user.id),
        spent: store.vendors.redeemedOfUser(user.id),
        returned: store.credits.countOfUser(user.id),
      },
      maxSets: ctx.maxSetsPerPurchase,
      maxDepositMills: ctx.maxDepositMills,
      returns: returnWindows(ctx, user.id),
    };
  };
  const accountPage = (res: Response, user: UserRecord, status: number, o: { ok?: string; error?: string }) =>
    send(res, status, 'Account', accountView(visitor(res), accountData(user), o));

  r.get('/', (_req, res) => send(res, 200, 'MicroMint', homeView(visitor(res), publicStats(ctx))));

  // Sign up / log in / log out. Each attempt costs a 32 MiB scrypt and may guess a password:
  // one budget per IP address for both forms.
  const authLimit = rateLimit({
    windowMs: 60_000,
    limit: ctx.authAttemptsPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      const kind = req.path === '/signup' ? 'signup' : 'login';
      send(res, 429, kind === 'signup' ? 'Sign up' : 'Log in', authView(visitor(res), kind, { error: 'Too many attempts from your address: wait a minute, then try again.' }));
    },
  });
  r.get('/signup', (_req, res) => send(res, 200, 'Sign up', authView(visitor(res), 'signup')));
  r.post('/signup', authLimit, async (req, res) => {
    const email = str(req.body, 'email');
    try {
      const user = await signUp(ctx, email, str(req.body, 'password'));
      const old = visitor(res).session;
      if (old) endSession(ctx, old.tokenHash);
      const s = startSession(ctx, user.id);
      setSessionCookie(ctx, res, s.token, s.expires);
      res.redirect(303, '/account?msg=welcome');
    } catch (e) {
      const d = e instanceof RangeError || e instanceof TypeError ? { status: 422, message: e.message } : describeError(e);
      send(res, d.status, 'Sign up', authView(visitor(res), 'signup', { error: d.message, email: typeof email === 'string' ? email : '' }));
    }
  });
  r.get('/login', (_req, res) => send(res, 200, 'Log in', authView(visitor(res), 'login')));
  r.post('/login', authLimit, async (req, res) => {
    const email = str(req.body, 'email');
    const user = await logIn(ctx, email, str(req.body, 'password'));
    if (!user) {
      send(res, 401, 'Log in', authView(visitor(res), 'login', { error: 'Wrong e-mail or password.', email: typeof email === 'string' ? email : '' }));
      return;
    }
    const old = visitor(res).session;
    if (old) endSession(ctx, old.tokenHash);
    const s = startSession(ctx, user.id);
    setSessionCookie(ctx, res, s.token, s.expires);
    res.redirect(303, '/account');
  });
  r.post('/logout', (_req, res) => {
    const s = visitor(res).session;
    if (s) endSession(ctx, s.tokenHash);
    clearSessionCookie(ctx, res);
    res.redirect(303, '/');
  });

  // Account.
  r.get('/account', loggedIn, (req, res) => {
    // Own keys only: `?msg=__proto__` or `?msg=constructor` would otherwise reach Object.prototype.
    const key = req.query.msg;
    const msg = typeof key === 'string' && Object.hasOwn(MESSAGES, key) ? MESSAGES[key] : undefined;
    accountPage(res, userOf(res)!, 200, msg ? { ok: msg } : {});
  });
  r.post('/account/funds', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      const mills = (() => {
        try {
          return dollarsToMills(str(req.body, 'amount'));
        } catch (e) {
          throw new BrokerError(422, 'invalid_amount', (e as Error).message);
        }
      })();
      await addFunds(ctx, user, str(req.body, 'provider'), mills);
      res.redirect(303, '/account?msg=funds');
    } catch (e) {
      const d = describeError(e);
      accountPage(res, user, d.status, { error: d.message });
    }
  });
  r.post('/account/buy', loggedIn, (req, res) => {
    const user = userOf(res)!;
    try {
      const text = str(req.body, 'count');
      if (typeof text !== 'string' || !/^[0-9]{1,4}$/.test(text)) throw new BrokerError(422, 'invalid_count', 'the number of sets must be a whole number');
      const count = Number(text);
      if (count < 1 || count > ctx.maxSetsPerPurchase)
        throw new BrokerError(422, 'invalid_count', `buy between 1 and ${ctx.maxSetsPerPurchase} sets at a time`);
      const purchase = buySets(ctx, user.id, count);
      res.redirect(303, `/withdrawals/${purchase.withdrawalId}?new=1`);
    } catch (e) {
      const d = describeError(e);
      accountPage(res, user, d.status, { error: d.code === 'insufficient_funds' ? `${d.message}. Add funds first.` : d.message });
    }
  });
  // The wallet extension returns every unspent coin as soon as a Send-Expired script is on a broker page, so
  // that page is a state change: it answers only a CSRF-checked POST. A GET (which any site can cause with a
  // link, and which carries the SameSite=Lax cookie) gets the button that sends that POST.
  // Only epochs whose returns are open get a Send-Expired: before returnsFrom the broker would refuse the
  // return (vendors may still redeem those coins), so the page gives the date instead.
  r.get('/account/return', loggedIn, (_req, res) =>
    send(res, 200, 'Return unspent coins', returnConfirmView(visitor(res), returnWindows(ctx, userOf(res)!.id))),
  );
  r.post('/account/return', loggedIn, (_req, res) => {
    const user = userOf(res)!;
    const windows = returnWindows(ctx, user.id);
    const messages = windows.filter((w) => w.open).map((w) => ({ epoch: w.epoch, text: sendExpiredText(ctx, user.id, w.epoch) }));
    send(res, 200, 'Return unspent coins', returnView(visitor(res), messages, windows.filter((w) => !w.open)));
  });
  r.post('/account/complaints', loggedIn, (req, res) => {
    const user = userOf(res)!;
    try {
      const out = fileComplaint(ctx, user.id, str(req.body, 'vendorId'), str(req.body, 'text'));
      res.redirect(303, `/account?msg=${out.disabled ? 'complaint-disabled' : 'complaint'}#complaints`);
    } catch (e) {
      const d = e instanceof RangeError || e instanceof TypeError ? { status: 422, message: e.message } : describeError(e);
      accountPage(res, user, d.status, { error: d.message });
    }
  });

  // Purchases: the delivery page and the raw message, for their owner only.
  r.get('/withdrawals/:file', loggedIn, (req, res) => {
    const user = userOf(res)!;
    const file = String(req.params.file);
    const raw = file.endsWith('.mm');
    const id = raw ? file.slice(0, -3) : file;
    const w = /^w_[0-9a-f]{16}$/.test(id) ? ctx.store.sets.withdrawal(id) : undefined;
    if (!w || w.userId !== user.id) {
      send(res, 404, 'Not found', messageView('Not found', 'There is no such purchase in your account.'));
      return;
    }
    const text = fundsWithdrawnText(ctx, w.id);
    if (raw) {
      res.type(MICROMINT_MIME).set('Content-Disposition', `attachment; filename="${w.id}.mm"`).send(text);
      return;
    }
    send(res, 200, 'Your coins', withdrawalView(visitor(res), w, ctx.store.sets.setsOfWithdrawal(w.id), text, req.query.new === '1'));
  });

  // Vendors.
  const vendorsPage = (res: Response, status: number, o: { error?: string; origin?: string; name?: string } = {}) => {
    const user = userOf(res);
    send(res, status, 'Vendors', vendorsView(visitor(res), ctx.store.vendors.all(), user ? ctx.store.vendors.ofOwner(user.id) : [], o));
  };
  r.get('/vendors', (_req, res) => vendorsPage(res, 200));
  const typed = (req: Request, name: string, max: number): string => {
    const v = str(req.body, name);
    return typeof v === 'string' ? v.slice(0, max) : '';
  };
  const registrationLimited = limits.registration((req, res, what) =>
    vendorsPage(res, 429, { error: `Too many registrations (${what}): try again later.`, origin: typed(req, 'origin', 255), name: typed(req, 'name', 100) }),
  );
  r.post('/vendors', loggedIn, registrationLimited, (req, res) => {
    const origin = str(req.body, 'origin');
    const name = str(req.body, 'name');
    try {
      const out = registerVendor(ctx, { origin, name, ownerUserId: userOf(res)!.id });
      res.set('Cache-Control', 'no-store');
      send(res, 201, 'Site registered', registeredView(out.vendorId, out.apiKey, ctx.publicUrl));
    } catch (e) {
      const d = e instanceof RangeError || e instanceof TypeError ? { status: 422, message: e.message } : describeError(e);
      vendorsPage(res, d.status, { error: d.message, origin: typeof origin === 'string' ? origin : '', name: typeof name === 'string' ? name : '' });
    }
  });
  r.get('/vendors/dashboard', (_req, res) => send(res, 200, 'Vendor dashboard', dashboardLoginView(visitor(res))));
  r.post('/vendors/dashboard', (req, res) => {
    const vendor = authenticateVendor(ctx, str(req.body, 'apiKey'));
    if (!vendor) {
      send(res, 401, 'Vendor dashboard', dashboardLoginView(visitor(res), 'That API key is not valid.'));
      return;
    }
    const { vendors } = ctx.store;
    res.set('Cache-Control', 'no-store');
    send(res, 200, vendor.name, dashboardView(vendorSummary(ctx, vendor), {
      redeemed: vendors.recentRedeemed(vendor.id),
      rejected: ctx.store.refusals.recent(vendor.id),
      refusalsByReason: ctx.store.refusals.byReason(vendor.id),
      doubleSpends: vendors.recentDoubleSpends(vendor.id),
    }));
  });

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

