/**
 * What a wallet checks before it stores a purchase (docs/protocol.md section 8): the
 * Funds-Withdrawn message reads (shared's decoder checks every ball against the epoch's hash), it
 * comes from the wallet's broker, it is for the wallet's user, and its epoch has not expired. Each
 * check answers with a refusal code and a message fit to show; storing the sets stays with each
 * wallet, which refuses with its own error class.
 * @module
 */
import { decodeFundsWithdrawn, type FundsWithdrawn } from '../messages.ts';
import { isExpired } from '../params.ts';

/** What a purchase carries, as an import reports it. */
export interface ImportSummary {
  withdrawalId: string;
  userId: string;
  /** The epoch id. */
  epoch: string;
  broker: string;
  /** Superbin sets in the message. */
  sets: number;
  /** Coins (first-superbin balls) the withdrawal carries: the most it can pay, in mills. */
  coins: number;
}

/** What an import did. */
export interface ImportResult extends ImportSummary {
  /** False when this withdrawal was stored before: nothing changed. */
  imported: boolean;
}

/** Why a purchase is not stored. */
export interface ImportRefusal {
  code: 'invalid-message' | 'wrong-broker' | 'wrong-user' | 'expired';
  message: string;
}

/**
 * The origin of a URL, or undefined for text that is not a URL.
 * @example
 * originOf('http://127.0.0.1:4000/wallet'); // 'http://127.0.0.1:4000'
 */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Decodes a Funds-Withdrawn message, or says why it is not one.
 * @throws TypeError when `text` is not a string.
 * @example
 * const read = readFunds(text);
 * if ('refusal' in read) throw new WalletError(read.refusal.code, read.refusal.message);
 */
export function readFunds(text: unknown): { funds: FundsWithdrawn } | { refusal: ImportRefusal } {
  if (typeof text !== 'string') throw new TypeError('a Funds-Withdrawn message must be text');
  try {
    return { funds: decodeFundsWithdrawn(text) };
  } catch (e) {
    return { refusal: { code: 'invalid-message', message: `not a Funds-Withdrawn message: ${(e as Error).message}` } };
  }
}

/** Whose purchases a wallet takes. */
export interface ImportChecks {
  /** The wallet's broker (a URL or origin): a message naming another origin is refused. */
  broker?: string | undefined;
  /** The wallet's user: a message for another user is refused. */
  userId?: string | undefined;
  /** Milliseconds since 1970. */
  now: number;
}

/**
 * Why the wallet must not store `funds`, or undefined when it may: another broker, another user,
 * an expired epoch. Nothing is read or written.
 * @example
 * importRefusal(funds, { broker: 'http://127.0.0.1:4000', userId: 'u_1', now: Date.now() }); // undefined
 */
export function importRefusal(funds: FundsWithdrawn, checks: ImportChecks): ImportRefusal | undefined {
  if (checks.broker !== undefined && originOf(funds.broker) !== originOf(checks.broker))
    return { code: 'wrong-broker', message: `the sets come from ${funds.broker}, not this wallet's broker ${checks.broker}` };
  if (checks.userId !== undefined && checks.userId !== funds.userId)
    return { code: 'wrong-user', message: `the sets are for user ${funds.userId}; this wallet belongs to ${checks.userId}` };
  if (isExpired(funds.epoch, checks.now))
    return { code: 'expired', message: `epoch ${funds.epoch.id} expired at ${funds.epoch.expiresAt}` };
  return undefined;
}

/**
 * What `funds` carries, as an import reports it.
 * @example
 * const result: ImportResult = { imported: true, ...importSummary(funds) };
 */
export const importSummary = (funds: FundsWithdrawn): ImportSummary => ({
  withdrawalId: funds.withdrawalId,
  userId: funds.userId,
  epoch: funds.epoch.id,
  broker: funds.broker,
  sets: funds.sets.length,
  coins: funds.coins,
});
