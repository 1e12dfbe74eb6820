/**
 * `micromint-wallet resend [--all | ID]`: sends again, byte for byte, payments whose answer never
 * came, and applies the vendors' answers (see pay/resend.ts): a line per payment, then a summary.
 * @module
 */
import { formatMoney } from '@micromint/shared';
import { resendPayment, resendPending, type ResendResult } from '../../pay/resend.ts';
import { paymentById } from '../../wallet/payments.ts';
import type { Wallet } from '../../wallet/wallet.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import type { Output } from '../output.ts';
import { intOption, parse, walletDir, withWallet, type Command } from '../command.ts';
import { priceText, SHORT_ID } from './pending.ts';

/** The words for each outcome. */
const SAID: Readonly<Record<ResendResult['outcome'], string>> = {
  paid: 'paid',
  released: 'given back',
  refused: 'refused',
  pending: 'no answer again',
  'let-go': 'let go (never sent)',
  unreachable: 'unreachable',
  busy: 'left alone',
  skipped: 'skipped',
};

/** The line of one payment. */
function lineOf(wallet: Wallet, r: ResendResult): string {
  const p = paymentById(wallet.db, r.paymentId)!;
  const back = r.priceMills - r.spentMills;
  const detail = [
    r.status !== undefined ? `HTTP ${r.status}` : '',
    r.reason !== undefined && r.reason !== `HTTP ${r.status}` ? r.reason : '',
    back > 0 ? `${formatMoney(back)} back` : '',
    r.outcome === 'busy' || r.outcome === 'skipped' || r.outcome === 'let-go' ? '' : `attempt ${r.attempts}`,
  ].filter(Boolean);
  return `${r.paymentId.slice(0, SHORT_ID)}  ${SAID[r.outcome]}: ${priceText(p)} by ${r.scheme} for ${r.url}${detail.length ? ` (${detail.join('; ')})` : ''}`;
}

/** The summary: counts per outcome and what came back. */
function summaryOf(results: ResendResult[], waiting: number): string {
  if (results.length === 0)
    return waiting ? `${waiting} payment(s) await an answer; none was last sent long enough ago.` : 'No payments awaiting an answer.';
  const counts = new Map<string, number>();
  for (const r of results) counts.set(SAID[r.outcome], (counts.get(SAID[r.outcome]) ?? 0) + 1);
  const back = results.reduce((n, r) => n + r.priceMills - r.spentMills, 0);
  const left = results.filter((r) => ['pending', 'unreachable', 'busy', 'skipped'].includes(r.outcome)).length;
  return (
    `${results.length} payment(s): ${[...counts].map(([said, n]) => `${n} ${said}`).join(', ')}; ${formatMoney(back)} came back to the wallet` +
    (left ? `; ${left} still awaiting an answer.` : '.')
  );
}

/**
 * The exit code: 4 when a vendor could not be reached, 3 when one refused, 1 when a payment still
 * has no verdict (or the one named could not be sent now), else 0.
 */
function exitOf(results: ResendResult[], one: boolean): number {
  const has = (...o: ResendResult['outcome'][]) => results.some((r) => o.includes(r.outcome));
  if (has('unreachable')) return EXIT.network;
  if (has('refused')) return EXIT.refused;
  if (has('pending') || (one && has('busy', 'skipped'))) return EXIT.error;
  return EXIT.ok;
}

async function run(wallet: Wallet, out: Output, o: { id?: string; olderThanMs: number; limit: number; anyMethod: boolean }) {
  const onResult = (r: ResendResult, i: number, total: number) => {
    out.progressDone();
    out.line(lineOf(wallet, r));
    if (i + 1 < total) out.progress(`sending ${i + 2} of ${total}…`);
  };
  out.progress('sending…');
  const options = { olderThanMs: o.olderThanMs, limit: o.limit, anyMethod: o.anyMethod, onResult };
  const results = o.id ? [await resendPayment(wallet, o.id, options)] : await resendPending(wallet, options);
  out.progressDone();
  out.result({ results }, summaryOf(results, wallet.pending().length));
  return exitOf(results, o.id !== undefined);
}

export const resendCommand: Command = {
  name: 'resend',
  summary: 'send again payments awaiting an answer, to unlock their money',
  help: `Usage: micromint-wallet resend --all [--older-than SECONDS] [--limit N] [--any-method]
       micromint-wallet resend ID

Sends again, exactly as stored (the same payment header or body, method and URL), the payments
\`micromint-wallet pending\` lists, and applies each vendor's answer: paid stays paid, coins the
vendor gives back (or refuses without keeping them) come back. Nothing new is paid. A coin payment
that never left (attempts 0) is let go: its coins come back. A payment being sent right now by
another process is left alone.

Options:
  --all                 every pending payment (oldest first)
  ID                    one payment: its id, or its first 8 or more characters
  --older-than SECONDS  only payments last sent at least that long ago (default 0)
  --limit N             at most N payments (1 to 10000; default 100)
  --any-method          also payments of a POST, PUT, ... (sent without their request body, which
                        the wallet does not keep; by default they are skipped)

Exit codes: 0 every payment got its verdict, 1 one still has none (or ID cannot be sent now),
3 a vendor refused one, 4 a vendor could not be reached.`,
  async run(ctx) {
    const { values, positionals } = parse(ctx.args, {
      all: { type: 'boolean' },
      'older-than': { type: 'string' },
      limit: { type: 'string', short: 'n' },
      'any-method': { type: 'boolean' },
    });
    const out = ctx.output(values.json ?? false);
    if (positionals.length > 1) throw new UsageError('resend takes one payment id (or --all)');
    const [id] = positionals;
    if (id !== undefined && values.all) throw new UsageError('resend takes --all or one payment id, not both');
    if (id === undefined && !values.all) throw new UsageError('resend needs --all or a payment id (see `micromint-wallet pending`)');
    if (id !== undefined && (values['older-than'] !== undefined || values.limit !== undefined))
      throw new UsageError('--older-than and --limit go with --all');
    const olderThanMs = intOption(values['older-than'], 'older-than', 0, 100_000_000, 0) * 1000;
    const limit = intOption(values.limit, 'limit', 1, 10_000, 100);
    return withWallet(walletDir(values.wallet, ctx.env), (wallet) =>
      run(wallet, out, { ...(id !== undefined ? { id } : {}), olderThanMs, limit, anyMethod: values['any-method'] === true }),
    );
  },
};
