/**
 * `micromint-wallet buy --sets N`: buys superbin sets with the stored token and stores them.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { buy, MAX_SETS_PER_BUY } from '../../account/buy.ts';
import { EXIT } from '../exit-codes.ts';
import { intOption, parse, walletDir, withWallet, type Command } from '../command.ts';

export const buyCommand: Command = {
  name: 'buy',
  summary: 'buy superbin sets (coins) with your account balance',
  help: `Usage: micromint-wallet buy --sets N

Buys N superbin sets of the broker's current epoch with the account's balance (through the API
token of \`login\`) and stores them in the wallet. A set holds about as many coins as its price in
mills. A purchase whose answer was lost is finished first, bought once.

Options:
  --sets N    sets to buy (1 to ${MAX_SETS_PER_BUY}; default 1)`,
  async run(ctx) {
    const { values } = parse(ctx.args, { sets: { type: 'string', short: 'n' } });
    const out = ctx.output(values.json ?? false);
    const sets = intOption(values.sets, 'sets', 1, MAX_SETS_PER_BUY, 1);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      out.progress(`buying ${sets} set(s)…`);
      const result = await buy(wallet, sets, { progress: (done, total) => out.progress(`buying: ${done}/${total} purchases stored`) });
      out.progressDone();
      const balance = wallet.balance();
      out.result(
        {
          sets: result.sets,
          coins: result.coins,
          withdrawals: result.imports.map((i) => i.withdrawalId),
          accountBalanceMills: result.balanceMills ?? null,
          walletCoins: balance.coins,
        },
        `Bought ${result.sets} set(s): ${result.coins} coins (${formatMoney(result.coins)}).` +
          (result.balanceMills !== undefined ? ` Account balance: ${formatMoney(result.balanceMills)}.` : '') +
          ` The wallet holds ${formatMoney(balance.total)}.`,
      );
      return EXIT.ok;
    });
  },
};
