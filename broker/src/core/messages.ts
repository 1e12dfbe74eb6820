/**
 * The broker's MicroMint-1.0 messages: Funds-Withdrawn (a purchase, rebuilt from the mint records) and
 * Send-Expired (the invitation to return unspent balls).
 * @module
 */
import { encodeFundsWithdrawn, encodeSendExpired, type SuperbinSet } from '@micromint/shared';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';

/** The superbin sets of a withdrawal, with every ball minted in them. */
export async function withdrawalSets(ctx: BrokerContext, withdrawalId: string): Promise<{ sets: SuperbinSet[]; coins: number }> {
  const { store } = ctx;
  const w = await store.sets.withdrawal(withdrawalId);
  if (!w) throw new BrokerError(404, 'not_found', 'no such withdrawal');
  // Balls never change once minted: reading them outside a transaction is consistent.
  const ballsOf = async (epoch: string, sb: number) =>
    new Map((await store.epochs.ballsIn(epoch, sb)).map((b) => [b.subbin, new Uint8Array(b.x)] as const));
  const sets: SuperbinSet[] = [];
  for (const s of await store.sets.setsOfWithdrawal(withdrawalId))
    sets.push({ superbins: s.superbins, balls: await Promise.all(s.superbins.map((sb) => ballsOf(s.epoch, sb))) });
  return { sets, coins: sets.reduce((n, s) => n + (s.balls[0]?.size ?? 0), 0) };
}

/**
 * The Funds-Withdrawn message of a withdrawal. The same text every time (balls never change), so
 * "send to wallet again" and the `.mm` download deliver exactly what the purchase delivered.
 */
export async function fundsWithdrawnText(ctx: BrokerContext, withdrawalId: string): Promise<string> {
  const w = await ctx.store.sets.withdrawal(withdrawalId);
  if (!w) throw new BrokerError(404, 'not_found', 'no such withdrawal');
  const epoch = await ctx.store.epochs.get(w.epoch);
  if (!epoch) throw new BrokerError(404, 'unknown_epoch', `epoch ${w.epoch} is gone`);
  const { sets, coins } = await withdrawalSets(ctx, withdrawalId);
  return encodeFundsWithdrawn({ broker: ctx.publicUrl, withdrawalId, userId: w.userId, epoch: epoch.params, sets, coins });
}

/** Where wallets send Request-Credit messages. */
export const returnUrl = (ctx: BrokerContext): string => `${ctx.publicUrl}/api/credit`;

/** The Send-Expired message inviting `userId`'s wallet to return its unspent balls of `epoch`. */
export function sendExpiredText(ctx: BrokerContext, userId: string, epoch: string): string {
  return encodeSendExpired({ broker: ctx.publicUrl, userId, epoch, returnUrl: returnUrl(ctx) });
}
