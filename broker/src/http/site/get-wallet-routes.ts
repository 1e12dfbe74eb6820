/**
 * Getting the wallet: the wallet page (`GET /wallet`) and, when the broker was given `walletZip`, the zip of
 * the built extension (`GET /wallet/micromint-wallet.zip`, an attachment).
 * @module
 */
import express from 'express';
import type { BrokerContext } from '../../core/context.ts';
import { walletZipSource } from '../../core/wallet-zip.ts';
import { getWalletView, WALLET_ZIP_PATH } from '../pages/get-wallet.ts';
import { messageView } from '../pages/vendors.ts';
import { visitor } from '../session.ts';
import { send } from './common.ts';

/** `GET /wallet` and `GET /wallet/micromint-wallet.zip`. */
export function getWalletRoutes(ctx: BrokerContext): express.Router {
  const r = express.Router();
  const current = ctx.walletZip ? walletZipSource(ctx.walletZip) : () => undefined;
  const missing = (res: express.Response) =>
    send(
      res,
      404,
      'Wallet',
      messageView('No download here', 'This broker does not offer the wallet for download. See /wallet for how to build it.'),
    );

  r.get('/wallet', (_req, res) => send(res, 200, 'Get the wallet', getWalletView(visitor(res), current(), ctx.publicUrl)));
  r.get(WALLET_ZIP_PATH, (_req, res, next) => {
    const zip = current();
    if (!zip) return missing(res);
    res.attachment('micromint-wallet.zip');
    res.sendFile(zip.path, { dotfiles: 'allow', headers: { 'Content-Type': 'application/zip', 'Cache-Control': 'no-cache' } }, (err) => {
      if (!err) return;
      if (res.headersSent) return next(err);
      missing(res);
    });
  });
  return r;
}
