/**
 * Adding funds through a {@link FundingProvider}, and reading balances.
 * @module
 */
import { MILLS_PER_DOLLAR, formatMoney } from '@micromint/shared';
import type { UserRecord } from '../db/accounts.ts';
import type { BrokerContext } from './context.ts';
import { BrokerError } from './errors.ts';

/**
 * Reads a dollar amount such as `5`, `0.25` or `1.005` into mills; throws `RangeError` otherwise.
 * @example
 * dollarsToMills('$4.76'); // 4760
 */
export function dollarsToMills(text: unknown): number {
  if (typeof text !== 'string') throw new TypeError('amount must be a string');
  // Trimmed and length-capped before the pattern: `\s*\$?\s*` backtracks quadratically over a long run of
  // spaces (a 32 KB form field of them held the event loop for about a second).
  const t = text.trim();
  const m = t.length <= 16 ? /^\$?\s*(\d{1,7})(?:\.(\d{1,3}))?$/.exec(t) : null;
  if (!m) throw new RangeError('amount must be dollars with at most 3 decimals, e.g. 5 or 0.25');
  return Number(m[1]) * MILLS_PER_DOLLAR + Number((m[2] ?? '').padEnd(3, '0'));
}

/**
 * Charges `amountMills` through provider `providerId` and credits the user's ledger.
 * @example
 * await addFunds(ctx, user, 'sandbox', 5000); // $5.00
 */
export async function addFunds(
  ctx: BrokerContext,
  user: UserRecord,
  providerId: unknown,
  amountMills: number,
): Promise<{ reference: string }> {
  const provider = ctx.fundingProviders.find((p) => p.id === providerId);
  if (!provider) throw new BrokerError(422, 'unknown_provider', 'choose one of the offered ways to add funds');
  if (!Number.isSafeInteger(amountMills) || amountMills < 1 || amountMills > ctx.maxDepositMills)
    throw new BrokerError(422, 'invalid_amount', `the amount must be between ${formatMoney(1)} and ${formatMoney(ctx.maxDepositMills)}`);
  const result = await provider.charge({ userId: user.id, email: user.email, amountMills });
  if (!result.ok) throw new BrokerError(402, 'charge_failed', result.message);
  await ctx.store.transaction(() =>
    ctx.store.accounts.post(
      'user',
      user.id,
      amountMills,
      'deposit',
      result.reference,
      `Added funds (${provider.label})`,
      ctx.now().toISOString(),
    ),
  );
  return { reference: result.reference };
}
