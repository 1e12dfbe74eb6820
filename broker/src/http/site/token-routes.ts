/**
 * Making and revoking API tokens from the account page. Like every page POST these are CSRF- and
 * Origin-checked before they get here (site.ts). A new token's secret is shown in the answer to the POST
 * itself (201, never cached: `loggedIn`), not after a redirect, so it is never in a URL and is shown once.
 * @module
 */
import express from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { createToken, revokeToken } from '../../core/tokens.ts';
import { accountView } from '../pages/account.ts';
import { visitor } from '../session.ts';
import { accountData, accountPage } from './account-page.ts';
import { formError, loggedIn, send, str, userOf } from './common.ts';

/** `POST /account/tokens` and `POST /account/tokens/delete`. */
export function tokenRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();
  r.post('/account/tokens', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      const { token, secret } = await createToken(ctx, user.id, { name: str(req.body, 'name'), limit: str(req.body, 'limit') });
      const data = await accountData(ctx, user);
      data.tokens = { ...data.tokens, created: { name: token.name, secret } };
      send(res, 201, 'Account', accountView(visitor(res), data, { ok: `API token "${token.name}" created: copy it below.` }));
    } catch (e) {
      const d = formError(e);
      await accountPage(ctx, res, user, d.status, { error: d.message });
    }
  });
  r.post('/account/tokens/delete', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      await revokeToken(ctx, user.id, str(req.body, 'tokenId'));
      res.redirect(303, '/account?msg=token-revoked#tokens');
    } catch (e) {
      const d = formError(e);
      await accountPage(ctx, res, user, d.status, { error: d.message });
    }
  });
  return r;
}
