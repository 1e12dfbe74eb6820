/**
 * Connecting this browser's wallet to the account (and disconnecting one). The wallet extension fills the
 * `walletKey` field of the account page's `form.micromint-connect-wallet` from a content script and the
 * user submits it; like every page POST it is checked for the CSRF token and the Origin before it gets
 * here (site.ts), so no other site can connect a key to someone's account.
 * @module
 */
import express from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { connectWalletKey, disconnectWalletKey } from '../../core/payword/wallet-keys.ts';
import { accountPage } from './account-page.ts';
import { formError, loggedIn, str, userOf } from './common.ts';

/** `POST /account/wallet-key` and `POST /account/wallet-key/delete`. */
export function walletRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();
  r.post('/account/wallet-key', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      await connectWalletKey(ctx, user.id, str(req.body, 'walletKey'));
      res.redirect(303, '/account?msg=wallet-connected#wallet');
    } catch (e) {
      const d = formError(e);
      await accountPage(ctx, res, user, d.status, { error: d.message });
    }
  });
  r.post('/account/wallet-key/delete', loggedIn, async (req, res) => {
    const user = userOf(res)!;
    try {
      await disconnectWalletKey(ctx, user.id, str(req.body, 'walletKey'));
      res.redirect(303, '/account?msg=wallet-disconnected#wallet');
    } catch (e) {
      const d = formError(e);
      await accountPage(ctx, res, user, d.status, { error: d.message });
    }
  });
  return r;
}
