/**
 * `micromint-wallet history`: the wallet's history, newest first (`--account`: the account's
 * ledger at the broker).
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { EXIT } from '../exit-codes.ts';
import { intOption, parse, walletDir, withWallet, type Command } from '../command.ts';

/** `+1.2¢` / `-$1.50` / `0`. */
const signed = (mills: number): string => (mills === 0 ? '' : `${mills > 0 ? '+' : '-'}${formatMoney(Math.abs(mills))}`);

export const historyCommand: Command = {
  name: 'history',
  summary: 'list what the wallet did: purchases, payments, chains, returns',
  help: `Usage: micromint-wallet history [--limit N] [--account]

Lists the wallet's history, newest first: purchases stored, payments and their answers, chains
opened and closed, returns.

Options:
  --limit N    entries to show (1 to 1000; default 20)
  --account    the account's ledger at the broker instead (after \`login\`)`,
  async run(ctx) {
    const { values } = parse(ctx.args, { limit: { type: 'string', short: 'n' }, account: { type: 'boolean' } });
    const out = ctx.output(values.json ?? false);
    const limit = intOption(values.limit, 'limit', 1, 1000, 20);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      if (values.account) {
        const ledger = await wallet.broker().history(Math.min(limit, 100));
        out.result(
          ledger,
          [
            `Account balance: ${formatMoney(ledger.balanceMills)}`,
            ...ledger.entries.map((e) => `${e.createdAt}  ${signed(e.amountMills).padStart(9)}  ${e.memo}`),
          ].join('\n'),
        );
        return EXIT.ok;
      }
      const entries = wallet.history(limit);
      out.result(
        { entries },
        entries.length
          ? entries
              .map((e) => `${new Date(e.at).toISOString()}  ${signed(e.mills).padStart(9)}  ${e.kind.padEnd(12)} ${e.detail}`)
              .join('\n')
          : 'Nothing yet.',
      );
      return EXIT.ok;
    });
  },
};
