/**
 * `micromint-wallet logout`: revokes the stored token at the broker and forgets it (the coins and
 * chains stay in the wallet).
 * @module
 */
import { EXIT } from '../exit-codes.ts';
import { parse, walletDir, withWallet, type Command } from '../command.ts';

export const logoutCommand: Command = {
  name: 'logout',
  summary: 'revoke the stored API token and forget it',
  help: `Usage: micromint-wallet logout

Revokes the API token at the broker (it answers 401 from then on) and removes it from the wallet
directory. Coins and chains stay in the wallet.`,
  async run(ctx) {
    const { values } = parse(ctx.args, {});
    const out = ctx.output(values.json ?? false);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      if (wallet.settings.token) await wallet.broker().revoke();
      wallet.configure({ token: undefined });
      out.result({ loggedOut: true }, 'Logged out: the token is revoked.');
      return EXIT.ok;
    });
  },
};
