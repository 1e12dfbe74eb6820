/**
 * The account page as every account action answers it: the user's figures gathered, then rendered with a
 * notice. The user's due PayWord releases run first, so the balance shown already holds what came back.
 * @module
 */
import type { Response } from 'express';
import type { UserRecord } from '../../db/accounts.ts';
import type { BrokerContext } from '../../core/context.ts';
import { releaseDueChains } from '../../core/payword/release.ts';
import { walletKeysOf } from '../../core/payword/wallet-keys.ts';
import { returnWindows } from '../../core/timeline.ts';
import { tokensOf } from '../../core/tokens.ts';
import { accountView, type AccountData } from '../pages/account.ts';
import { visitor } from '../session.ts';
import { send } from './common.ts';

/** Fixed notices chosen by `?msg=` after a redirect (never text from the URL itself). */
export const MESSAGES: Record<string, string> = {
  welcome: 'Welcome! Add funds, then buy a superbin set to fill your wallet.',
  funds: 'Funds added.',
  complaint: 'Thank you: your complaint was recorded.',
  'complaint-disabled': 'Thank you: your complaint was recorded, and enough users complained that this site is now disabled.',
  'wallet-connected': "This browser's wallet is connected: it can now open PayWord chains paid from your balance.",
  'wallet-disconnected': 'The wallet is disconnected: the broker authorizes no new chain it asks for.',
  'token-revoked': 'The API token is revoked, and the wallet keys it connected are disconnected.',
};

/** Everything the account page shows about `user`. */
export async function accountData(ctx: BrokerContext, user: UserRecord): Promise<AccountData> {
  const { store } = ctx;
  await releaseDueChains(ctx, user.id);
  return {
    user,
    broker: ctx.publicUrl,
    balanceMills: await store.accounts.balance('user', user.id),
    epoch: await store.epochs.current(ctx.now()),
    providers: ctx.fundingProviders,
    withdrawals: await store.sets.withdrawalsOfUser(user.id),
    ledger: await store.accounts.history('user', user.id, 100),
    complaints: await store.complaints.ofUser(user.id),
    vendors: await store.vendors.all(),
    coins: {
      bought: await store.sets.coinsBought(user.id),
      spent: await store.vendors.redeemedOfUser(user.id),
      returned: await store.credits.countOfUser(user.id),
    },
    maxSets: ctx.maxSetsPerPurchase,
    maxDepositMills: ctx.maxDepositMills,
    returns: await returnWindows(ctx, user.id),
    walletKeys: await walletKeysOf(ctx, user.id),
    tokens: { tokens: await tokensOf(ctx, user.id) },
    chains: await store.chains.ofUser(user.id),
    now: ctx.now(),
  };
}

/** Sends the account page of `user` with `status` and an optional notice. */
export async function accountPage(
  ctx: BrokerContext,
  res: Response,
  user: UserRecord,
  status: number,
  o: { ok?: string; error?: string },
): Promise<void> {
  send(res, status, 'Account', accountView(visitor(res), await accountData(ctx, user), o));
}
