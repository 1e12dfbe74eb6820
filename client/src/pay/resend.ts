/**
 * Sending again the payments whose answer never came (a 5xx, a 2xx without a receipt, a lost
 * connection, a crash), so that their coins or links are not locked until the same URL happens to
 * ask for payment again. The money rules of `wrapFetch` hold:
 * - a pending payment goes again exactly as stored (the same `PAYMENT-SIGNATURE` or body, method
 *   and URL), never rebuilt with other coins or links;
 * - the answer is read by `classifyAnswer` and applied by `settlePayment`: a receipt makes it paid,
 *   a release gives back the coins it names, a refusal gives back what the refusal rules say, and
 *   no verdict leaves it pending;
 * - a payment some call of this process, or another live process on this machine, is sending now
 *   is left alone (the in-flight claim every payment takes), so a resend never races it;
 * - a coin payment never sent at all (`attempts` 0: the sender died between the transaction that
 *   spent the coins and the request; a payment is counted as sent before it leaves) is let go, its
 *   coins back, since no vendor saw them. A link payment never sent is sent: its range is used
 *   either way, and sending it leaves the vendor no gap.
 * @module
 */
import { aint, MICROMINT_SCHEME } from '@micromint/shared';
import { WalletError } from '../errors.ts';
import { immediate } from '../wallet/db.ts';
import { claimPendingById, paymentById, paymentsWithIdPrefix, pendingPayments, type PaymentRecord } from '../wallet/payments.ts';
import type { Wallet } from '../wallet/wallet.ts';
import { NEVER_SENT } from '../wallet/settle.ts';
import { paymentOf } from './payment-info.ts';
import { abandonPayment, settlePayment } from './payer.ts';
import { sendPaid, type Fetch } from './wrap-fetch.ts';

/**
 * What became of one pending payment:
 * - `paid`, `released`, `refused`: the vendor's verdict, applied (see `PaymentInfo`);
 * - `pending`: sent again, and again no verdict came (a 5xx, a 2xx without a receipt);
 * - `let-go`: never sent, so let go: its coins are spendable again;
 * - `unreachable`: the vendor could not be reached; it stays pending;
 * - `busy`: another call or process is sending it now; left alone;
 * - `skipped`: not a GET or HEAD (the wallet keeps no request bodies): left alone unless `anyMethod`.
 */
export type ResendOutcome = 'paid' | 'released' | 'refused' | 'pending' | 'let-go' | 'unreachable' | 'busy' | 'skipped';

/** One payment handled by {@link resendPending}. Money is in mills. */
export interface ResendResult {
  paymentId: string;
  url: string;
  method: string;
  scheme: string;
  /** What the payment cost. */
  priceMills: number;
  /** What it still holds now (the price, less what came back). */
  spentMills: number;
  outcome: ResendOutcome;
  /** Times it has been sent, this time included. */
  attempts: number;
  /** The HTTP status of the vendor's answer, when one came. */
  status?: number;
  /** The vendor's reason, why it stays pending, or why it was left alone. */
  reason?: string;
}

/** Options of {@link resendPending} and {@link resendPayment}. */
export interface ResendOptions {
  /** The fetch the payments go out through (default: the global fetch). */
  fetch?: Fetch;
  /** Only payments last sent (or made) at least this many milliseconds ago (default 0). */
  olderThanMs?: number;
  /** At most this many payments, oldest first (default 100). */
  limit?: number;
  /** Also send again payments of other methods than GET and HEAD, without their request body (default false). */
  anyMethod?: boolean;
  /** The clock in milliseconds (default `Date.now`). */
  now?: () => number;
  /** Called with each result as soon as it is known (for progress lines). */
  onResult?: (result: ResendResult, index: number, total: number) => void;
}

export { NEVER_SENT };

/** The most payments one call handles. */
export const MAX_RESEND_LIMIT = 10_000;

interface Resolved {
  fetch: Fetch;
  olderThanMs: number;
  limit: number;
  anyMethod: boolean;
  now: () => number;
  onResult?: ResendOptions['onResult'];
}

/** The options checked (TypeError / RangeError), with their defaults. */
function resolve(o: ResendOptions): Resolved {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw new TypeError('options.fetch must be a function');
  if (o.now !== undefined && typeof o.now !== 'function') throw new TypeError('options.now must be a function');
  if (o.onResult !== undefined && typeof o.onResult !== 'function') throw new TypeError('options.onResult must be a function');
  if (o.olderThanMs !== undefined) aint(o.olderThanMs, 0, Number.MAX_SAFE_INTEGER, 'options.olderThanMs');
  if (o.limit !== undefined) aint(o.limit, 1, MAX_RESEND_LIMIT, 'options.limit');
  return {
    fetch: o.fetch ?? ((input, init) => fetch(input, init)),
    olderThanMs: o.olderThanMs ?? 0,
    limit: o.limit ?? 100,
    anyMethod: o.anyMethod === true,
    now: o.now ?? Date.now,
    ...(o.onResult ? { onResult: o.onResult } : {}),
  };
}

const resultOf = (p: PaymentRecord, outcome: ResendOutcome, extra: { status?: number; reason?: string } = {}): ResendResult => ({
  paymentId: p.id,
  url: p.url,
  method: p.method,
  scheme: p.scheme,
  priceMills: p.price,
  spentMills: p.spent,
  outcome,
  attempts: p.attempts,
  ...extra,
});

/** Sends the claimed payment as stored and applies the answer. */
async function send(wallet: Wallet, p: PaymentRecord, o: Resolved): Promise<ResendResult> {
  let res: Response;
  try {
    res = await sendPaid(wallet, o.fetch, new Request(p.url, { method: p.method }), { payment: p, resent: true }, o.now);
  } catch (e) {
    // A fetch that failed on the network (sendPaid let go of the payment: it stays pending, for a later resend).
    if (!(e instanceof TypeError) && !['TimeoutError', 'AbortError'].includes((e as Error).name)) throw e;
    const code = (e as { cause?: { code?: unknown } }).cause?.code;
    return resultOf(paymentById(wallet.db, p.id)!, 'unreachable', {
      reason: `${(e as Error).message}${typeof code === 'string' ? ` (${code})` : ''}`,
    });
  }
  await res.body?.cancel().catch(() => undefined);
  const reason = paymentOf(res)?.reason;
  const after = paymentById(wallet.db, p.id)!;
  return resultOf(after, after.state, { status: res.status, ...(reason ? { reason } : {}) });
}

/** Handles one pending payment: left alone, let go, or sent again. */
async function handle(wallet: Wallet, p: PaymentRecord, o: Resolved): Promise<ResendResult> {
  const claimed = immediate(wallet.db, () => claimPendingById(wallet.db, p.id));
  if (claimed === undefined) {
    const now = paymentById(wallet.db, p.id) ?? p;
    return resultOf(now, now.state === 'pending' ? 'busy' : now.state, { reason: 'answered meanwhile' });
  }
  if (claimed === 'in-flight') return resultOf(p, 'busy', { reason: 'being sent now by another call or process' });
  if (claimed.method !== 'GET' && claimed.method !== 'HEAD' && !o.anyMethod) {
    abandonPayment(wallet, claimed);
    return resultOf(claimed, 'skipped', { reason: `a ${claimed.method} is not sent again without its body (anyMethod sends it anyway)` });
  }
  if (claimed.attempts === 0 && claimed.scheme === MICROMINT_SCHEME) {
    const outcome = { kind: 'released', reason: NEVER_SENT, released: claimed.coinIds, receipt: '' } as const;
    const { payment } = settlePayment(wallet, claimed, outcome, o.now());
    return resultOf(payment, 'let-go', { reason: 'never sent: no vendor saw these coins' });
  }
  return send(wallet, claimed, o);
}

/** Runs `handle` over `list`, reporting each result. */
async function handleAll(wallet: Wallet, list: PaymentRecord[], o: Resolved): Promise<ResendResult[]> {
  const results: ResendResult[] = [];
  for (const p of list) {
    const r = await handle(wallet, p, o);
    results.push(r);
    o.onResult?.(r, results.length - 1, list.length);
  }
  return results;
}

/**
 * Sends again every payment still pending (oldest first, at most `limit`, last sent at least
 * `olderThanMs` ago), one after the other, and says what became of each. Nothing new is ever paid.
 * @example
 * const results = await resendPending(wallet, { olderThanMs: 60_000 });
 * for (const r of results) console.log(r.url, r.outcome, formatMoney(r.priceMills - r.spentMills), 'back');
 */
export async function resendPending(wallet: Wallet, options: ResendOptions = {}): Promise<ResendResult[]> {
  const o = resolve(options);
  const due = pendingPayments(wallet.db)
    .filter((p) => o.now() - p.updatedAt >= o.olderThanMs)
    .slice(0, o.limit);
  return handleAll(wallet, due, o);
}

/**
 * The payment whose id is `id`, or starts with it (at least 8 characters, as `micromint-wallet
 * pending` shows them).
 * @throws RangeError for text that is no payment id; WalletError `unknown-payment` or `ambiguous-payment-id`.
 * @example
 * findPayment(wallet, '3f2a9c1e').state; // 'pending'
 */
export function findPayment(wallet: Wallet, id: string): PaymentRecord {
  if (typeof id !== 'string') throw new TypeError('a payment id must be a string');
  if (!/^[0-9a-f-]{8,36}$/i.test(id))
    throw new RangeError(`${JSON.stringify(id.slice(0, 40))} is not a payment id (8 to 36 characters of 0-9, a-f and -)`);
  const found = paymentsWithIdPrefix(wallet.db, id.toLowerCase());
  if (found.length === 0)
    throw new WalletError('unknown-payment', `this wallet has no payment ${id}; \`micromint-wallet pending\` lists them`);
  if (found.length > 1) throw new WalletError('ambiguous-payment-id', `more than one payment starts with ${id}: give more of its id`);
  return found[0]!;
}

/**
 * Sends again the one pending payment `id` (a whole id or its first 8 or more characters).
 * @throws RangeError, WalletError `unknown-payment`, `ambiguous-payment-id` (see {@link findPayment}),
 *   or `not-pending` for a payment that has its answer already.
 * @example
 * const r = await resendPayment(wallet, '3f2a9c1e'); // { outcome: 'paid', ... }
 */
export async function resendPayment(wallet: Wallet, id: string, options: ResendOptions = {}): Promise<ResendResult> {
  const o = resolve(options);
  const p = findPayment(wallet, id);
  if (p.state !== 'pending') throw new WalletError('not-pending', `payment ${id} is ${p.state} already: there is nothing to send again`);
  const [r] = await handleAll(wallet, [p], o);
  return r!;
}
