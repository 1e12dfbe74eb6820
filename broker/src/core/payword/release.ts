/**
 * Releasing a chain's unspent hold. Authorization took the chain's whole value, n * value, from the user;
 * vendors are paid c * value as they clear. Once now > expiresAt + the clearing grace (the chain's pinned
 * `clearBy`), no vendor can clear it any more, and the rest, (n - c) * value, goes back to the user's
 * balance, exactly once: the status moves `held` -> `released` in the same transaction as the ledger line,
 * and a clearing is refused `chain-closed` from then on. So hold = cleared + released, always.
 *
 * Run by the sweep (sweeper.ts), and for one user before the account page is shown and before a chain is
 * authorized, so the balance a user sees and spends already holds what is due back.
 * @module
 */
import type { ChainRecord } from '../../db/chains.ts';
import type { BrokerContext } from '../context.ts';

/** Chains released per transaction: a long backlog is released in several short write locks. */
export const RELEASE_BATCH = 500;

/** Unix time in (fractional) seconds, the unit of a commitment's times. */
export const unixSeconds = (d: Date): number => d.getTime() / 1000;

/** True once no vendor may clear `chain` any more: now > expiresAt + grace. */
export const clearingClosed = (chain: Pick<ChainRecord, 'clearBy'>, now: Date): boolean => unixSeconds(now) > chain.clearBy;

async function releaseOne(ctx: BrokerContext, chain: ChainRecord, at: string): Promise<number> {
  const unspent = (chain.links - chain.clearedIndex) * chain.valueMills;
  if (!(await ctx.store.chains.release(chain.id, unspent, at))) return 0;
  if (unspent > 0) {
    const memo = `PayWord chain ${chain.id.slice(0, 12)}… for ${chain.vendorId} closed: ${chain.links - chain.clearedIndex} unspent link(s) of ${chain.links} returned`;
    await ctx.store.accounts.post('user', chain.userId, unspent, 'chain-release', chain.id, memo, at);
  }
  return unspent;
}

/**
 * Releases every held chain whose clearing has closed (of `userId` only, when given). The clock is read
 * inside each write lock, the same lock a clearing takes, so a chain is either cleared or released.
 * @returns chains released and mills given back
 * @example
 * await releaseDueChains(ctx, user.id); // before showing the balance
 */
export async function releaseDueChains(ctx: BrokerContext, userId?: string): Promise<{ chains: number; mills: number }> {
  const total = { chains: 0, mills: 0 };
  for (;;) {
    const n = await ctx.store.transaction(async () => {
      const now = ctx.now();
      const due = await ctx.store.chains.due(unixSeconds(now), RELEASE_BATCH, userId);
      for (const chain of due) total.mills += await releaseOne(ctx, chain, now.toISOString());
      return due.length;
    });
    total.chains += n;
    if (n < RELEASE_BATCH) return total;
  }
}
