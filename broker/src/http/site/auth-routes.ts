/**
 * Sign-up, log-in and log-out. Each attempt costs a 32 MiB scrypt and may guess a password: one budget
 * per IP address for both forms.
 * @module
 */
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import type { BrokerContext } from '../../core/context.ts';
import { endSession, logIn, signUp, startSession } from '../../core/users.ts';
import { authView } from '../pages/auth.ts';
import { clearSessionCookie, setSessionCookie, visitor } from '../session.ts';
import { formError, send, str } from './common.ts';

/** The routes of `/signup`, `/login` and `/logout`. */
export function authRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();
  const authLimit = rateLimit({
    windowMs: 60_000,
    limit: ctx.authAttemptsPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      const kind = req.path === '/signup' ? 'signup' : 'login';
      send(
        res,
        429,
        kind === 'signup' ? 'Sign up' : 'Log in',
        authView(visitor(res), kind, { error: 'Too many attempts from your address: wait a minute, then try again.' }),
      );
    },
  });
  const startFor = async (res: express.Response, userId: string): Promise<void> => {
    const old = visitor(res).session;
    if (old) await endSession(ctx, old.tokenHash);
    const s = await startSession(ctx, userId);
    setSessionCookie(ctx, res, s.token, s.expires);
  };

  r.get('/signup', (_req, res) => send(res, 200, 'Sign up', authView(visitor(res), 'signup')));
  r.post('/signup', authLimit, async (req, res) => {
    const email = str(req.body, 'email');
    try {
      const user = await signUp(ctx, email, str(req.body, 'password'));
      await startFor(res, user.id);
      res.redirect(303, '/account?msg=welcome');
    } catch (e) {
      const d = formError(e);
      send(res, d.status, 'Sign up', authView(visitor(res), 'signup', { error: d.message, email: typeof email === 'string' ? email : '' }));
    }
  });
  r.get('/login', (_req, res) => send(res, 200, 'Log in', authView(visitor(res), 'login')));
  r.post('/login', authLimit, async (req, res) => {
    const email = str(req.body, 'email');
    const user = await logIn(ctx, email, str(req.body, 'password'));
    if (!user) {
      send(
        res,
        401,
        'Log in',
        authView(visitor(res), 'login', { error: 'Wrong e-mail or password.', email: typeof email === 'string' ? email : '' }),
      );
      return;
    }
    await startFor(res, user.id);
    res.redirect(303, '/account');
  });
  r.post('/logout', async (_req, res) => {
    const s = visitor(res).session;
    if (s) await endSession(ctx, s.tokenHash);
    clearSessionCookie(ctx, res);
    res.redirect(303, '/');
  });
  return r;
}
