/**
 * `micromint-wallet balance`: what the wallet holds (coins, chains, coins in payments awaiting an
 * answer) and, with a token, the account's balance at the broker.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { BrokerError } from '../../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { parse, walletDir, withWallet, type Command } from '../command.ts';

export const balanceCommand: Command = {
  name: 'balance',
  summary: 'show what the wallet holds and the account balance',
  help: `Usage: micromint-wallet balance [--offline]

Shows the coins and PayWord chains in the wallet, coins locked in payments whose answer has not
come, and (after \`login\`) the account's balance at the broker.

Options:
  --offline    do not ask the broker for the account's balance`,
  async run(ctx) {
    const { values } = parse(ctx.args, { offline: { type: 'boolean' } });
    const out = ctx.output(values.json ?? false);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      const b = wallet.balance();
      let account: { balanceMills: number; email: string; leftMills: number | null } | null = null;
      let accountError: string | undefined;
      if (!values.offline && wallet.settings.token) {
        try {
          const me = await wallet.broker().me();
          account = { balanceMills: me.balanceMills, email: me.email, leftMills: me.token.leftMills };
        } catch (e) {
          if (!(e instanceof BrokerError)) throw e;
          accountError = e.message;
        }
      }
      const lines = [
        `Wallet: ${formatMoney(b.total)} to spend`,
        `  coins    ${b.coins} (${formatMoney(b.coins)})${b.pending ? `, and ${formatMoney(b.pending)} in payments awaiting an answer` : ''}`,
        `  chains   ${formatMoney(b.chains)} in ${b.openChains.length} open chain(s)`,
        ...b.openChains.map((c) => `           ${c.vendorId}: ${c.linksLeft} links of ${formatMoney(c.value)}`),
      ];
      if (account)
        lines.push(
          `Account at ${wallet.brokerUrl}: ${formatMoney(account.balanceMills)}${account.leftMills !== null ? ` (this token may spend ${formatMoney(account.leftMills)} more)` : ''}`,
        );
      if (accountError) out.note(`warning: the account's balance is unknown: ${accountError}`);
      out.result(
        {
          totalMills: b.total,
          coinsMills: b.coins,
          pendingMills: b.pending,
          chainsMills: b.chains,
          epochs: b.epochs,
          openChains: b.openChains,
          account,
          ...(accountError ? { accountError } : {}),
        },
        lines.join('\n'),
      );
      return EXIT.ok;
    });
  },
};
