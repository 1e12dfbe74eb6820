/**
 * `micromint-wallet return`: sends the unspent coins of every epoch whose returns are open back to
 * the broker for credit.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { returnCoins } from '../../account/returns.ts';
import { EXIT } from '../exit-codes.ts';
import { parse, walletDir, withWallet, type Command } from '../command.ts';

export const returnCommand: Command = {
  name: 'return',
  summary: 'return unspent coins of finished epochs for credit',
  help: `Usage: micromint-wallet return

Returns the unspent coins of every epoch whose returns are open (after its redemption period) to
the broker, which credits one mill a coin to the account. Epochs not open yet are listed with the
date they open. A return whose answer was lost goes out again next time (credited once).`,
  async run(ctx) {
    const { values } = parse(ctx.args, {});
    const out = ctx.output(values.json ?? false);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      out.progress('returning…');
      const results = await returnCoins(wallet);
      out.progressDone();
      const lines = results.map((r) =>
        r.state === 'credited'
          ? `${r.epoch}: ${r.balls} coins returned, ${formatMoney(r.creditedMills)} credited`
          : r.state === 'not-open'
            ? `${r.epoch}: returns open at ${r.returnsFrom ?? 'a later date'}`
            : r.state === 'nothing'
              ? `${r.epoch}: nothing to return`
              : `${r.epoch}: ${r.balls} coins ${r.state === 'pending' ? 'sent, no answer yet (sent again next time)' : `refused (${r.error})`}`,
      );
      out.result({ returns: results }, lines.length ? lines.join('\n') : 'No epochs to return.');
      return results.some((r) => r.state === 'pending') ? EXIT.network : results.some((r) => r.state === 'refused') ? EXIT.error : EXIT.ok;
    });
  },
};
