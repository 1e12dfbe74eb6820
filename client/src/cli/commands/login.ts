/**
 * `micromint-wallet login --broker URL [--token mmt_...]`: stores an API token (made on the broker's
 * account page) and connects the wallet's key to the account. The token comes from `--token`,
 * `$MICROMINT_TOKEN`, or stdin (so it need not appear in the process list).
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { login } from '../../account/login.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { parse, walletDir, withWallet, type Command, type CommandContext } from '../command.ts';

/** The token: `--token`, else `$MICROMINT_TOKEN`, else stdin (`--token -` reads stdin whatever the environment). */
async function tokenOf(flag: string | undefined, ctx: CommandContext): Promise<string> {
  if (flag && flag !== '-') return flag;
  if (flag !== '-' && ctx.env.MICROMINT_TOKEN) return ctx.env.MICROMINT_TOKEN;
  return (await ctx.readStdin()).trim();
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'store an API token and connect this wallet to your broker account',
  help: `Usage: micromint-wallet login --broker URL [--token TOKEN]

Stores the API token (make one on the broker's account page, "API tokens") and the broker's URL
in the wallet directory, and connects the wallet's key to the account so that it can pay with
PayWord chains. The token is read from --token, else $MICROMINT_TOKEN, else stdin.

Options:
  --broker URL     the broker's base URL, e.g. https://broker.example
  --token TOKEN    the API token (mmt_...); "-" reads it from stdin`,
  async run(ctx) {
    const { values } = parse(ctx.args, { broker: { type: 'string' }, token: { type: 'string' } });
    const out = ctx.output(values.json ?? false);
    const dir = walletDir(values.wallet, ctx.env);
    const broker = values.broker ?? ctx.env.MICROMINT_BROKER;
    if (!broker) throw new UsageError('login needs --broker URL');
    const token = await tokenOf(values.token, ctx);
    if (!token) throw new UsageError('login needs a token: --token, $MICROMINT_TOKEN or stdin');
    return withWallet(dir, async (wallet) => {
      const { me, keyAdded } = await login(wallet, broker, token);
      out.result(
        {
          userId: me.userId,
          email: me.email,
          broker: wallet.brokerUrl,
          balanceMills: me.balanceMills,
          walletKeyConnected: true,
          keyAdded,
          walletDir: dir,
        },
        `Logged in as ${me.email} (${me.userId}) at ${wallet.brokerUrl}.\nAccount balance: ${formatMoney(me.balanceMills)}.` +
          (me.token.leftMills !== null ? ` This token may still spend ${formatMoney(me.token.leftMills)}.` : '') +
          `\nWallet: ${dir}`,
      );
      return EXIT.ok;
    });
  },
};
