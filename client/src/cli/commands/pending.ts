/**
 * `micromint-wallet pending`: the payments whose answer never came (their coins or links locked
 * until the vendor answers), as a table: id, price, scheme, attempts, age, URL.
 * @module
 */
import { formatMoney, formatPrice, PAYWORD_SCHEME } from '@micromint/shared';
import type { PaymentRecord } from '../../wallet/payments.ts';
import { EXIT } from '../exit-codes.ts';
import { parse, walletDir, withWallet, type Command } from '../command.ts';

/** How many characters of a payment id the CLI shows (and `resend` accepts). */
export const SHORT_ID = 8;

/** The price of a payment as people read it: `2 coins (0.2¢)`, `1 link (0.1¢)`. */
export const priceText = (p: PaymentRecord): string =>
  p.scheme === PAYWORD_SCHEME && p.link ? formatPrice(p.price, 'link', p.link.units) : formatPrice(p.price);

/** A duration, short: `45s`, `12m`, `5h`, `3d`. */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The table's rows, columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The JSON of a pending payment. */
const entry = (p: PaymentRecord, now: number) => ({
  id: p.id,
  url: p.url,
  method: p.method,
  scheme: p.scheme,
  priceMills: p.price,
  attempts: p.attempts,
  createdAt: new Date(p.createdAt).toISOString(),
  lastSentAt: new Date(p.updatedAt).toISOString(),
  ageSeconds: Math.max(0, Math.floor((now - p.createdAt) / 1000)),
});

export const pendingCommand: Command = {
  name: 'pending',
  summary: 'list payments awaiting an answer (their money is locked)',
  help: `Usage: micromint-wallet pending

Lists the payments that went out (or were about to) and got no verdict: a 5xx, a 2xx without a
receipt, a lost connection, a crash. Their coins or links stay spent until the vendor answers;
\`micromint-wallet resend\` sends them again, byte for byte. ATTEMPTS 0 means it never left.`,
  async run(ctx) {
    const { values } = parse(ctx.args, {});
    const out = ctx.output(values.json ?? false);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      const now = Date.now();
      const list = wallet.pending();
      const total = list.reduce((n, p) => n + p.spent, 0);
      const rows = list.map((p) => [
        p.id.slice(0, SHORT_ID),
        priceText(p),
        p.scheme,
        String(p.attempts),
        ageText(now - p.createdAt),
        p.url,
      ]);
      const text = list.length
        ? `${table([['ID', 'PRICE', 'SCHEME', 'ATTEMPTS', 'AGE', 'URL'], ...rows])}\n\n` +
          `${list.length} payment(s) hold ${formatMoney(total)} awaiting an answer; \`micromint-wallet resend --all\` sends them again.`
        : 'No payments awaiting an answer.';
      out.result({ payments: list.map((p) => entry(p, now)), totalMills: total }, text);
      return EXIT.ok;
    });
  },
};
