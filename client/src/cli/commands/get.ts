/**
 * `micromint-wallet get URL`: like curl, paying a 402 from the wallet: the body to stdout (or
 * `--output`), what was paid to stderr. `--dry-run` shows the price and pays nothing.
 * @module
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { formatMoney } from '@micromint/shared';
import { paymentOf, type PaymentInfo } from '../../pay/payment-info.ts';
import { quote, type PriceQuote } from '../../pay/quote.ts';
import { wrapFetch } from '../../pay/wrap-fetch.ts';
import type { Caps } from '../../wallet/caps.ts';
import type { Wallet } from '../../wallet/wallet.ts';
import { EXIT, UsageError } from '../exit-codes.ts';
import { parseMoneyArg } from '../money-arg.ts';
import type { Output } from '../output.ts';
import { parse, walletDir, withWallet, type Command } from '../command.ts';

/** `Name: value` header options as a Headers object. */
function headersOf(list: string[] | undefined): Headers {
  const headers = new Headers();
  for (const h of list ?? []) {
    const i = h.indexOf(':');
    if (i < 1) throw new UsageError(`--header must be "Name: value", got ${JSON.stringify(h)}`);
    try {
      headers.append(h.slice(0, i).trim(), h.slice(i + 1).trim());
    } catch {
      throw new UsageError(`--header ${JSON.stringify(h)} is not a valid header`);
    }
  }
  return headers;
}

/** The sentence for what a quote says. */
function quoteText(q: PriceQuote): string {
  if (q.source === 'free') return `${q.url} is free (HTTP ${q.status}).`;
  const options = q.options.map((o) => `${formatMoney(o.mills)} by ${o.scheme}`).join(', ');
  const verdict = q.error
    ? `not payable: ${q.error.message}`
    : `within your caps${q.scheme ? `; the wallet would pay by ${q.scheme}` : ''}`;
  return `${q.url} costs ${formatMoney(q.mills)} (${options}; from the ${q.source === 'catalog' ? 'site\u2019s price catalog' : 'site\u2019s 402'}): ${verdict}.`;
}

/** The stderr sentence for what was paid. */
function paidText(p: PaymentInfo): string {
  const what = `${formatMoney(p.priceMills)} by ${p.scheme}${p.resent ? ' (a pending payment sent again)' : ''}`;
  switch (p.status) {
    case 'paid':
      return `paid ${what}${p.receipt?.transaction ? `, receipt ${p.receipt.transaction}` : ''}`;
    case 'released':
      return `not charged: the site served it without keeping the payment (${p.reason}); ${formatMoney(p.priceMills - p.spentMills)} came back`;
    case 'refused':
      return `the site refused the payment of ${what}: ${p.reason}`;
    case 'pending':
      return `sent ${what} but no receipt came (${p.reason}): the payment stays pending and goes again, the same, the next time`;
    case 'declined':
      return `not paid: ${p.error?.message ?? p.reason}`;
  }
}

async function dryRun(wallet: Wallet, out: Output, url: string, caps: Caps): Promise<number> {
  const q = await quote(fetch, wallet, url, { caps });
  out.result({ ...q, error: q.error ? { code: q.error.code, message: q.error.message } : undefined }, quoteText(q));
  return q.error ? EXIT.refused : EXIT.ok;
}

export const getCommand: Command = {
  name: 'get',
  summary: 'fetch a URL, paying its 402 from the wallet (like curl)',
  help: `Usage: micromint-wallet get URL [--max-price AMOUNT] [--dry-run] [--header "Name: value"]... [--output FILE]

Fetches URL; a 402 is paid from the wallet (MicroMint coins or PayWord links, as the site offers
and the wallet holds) within your caps, and the request sent again. The body goes to stdout (or
--output), what was paid to stderr (as JSON with --json).

Options:
  --max-price AMOUNT   the most this request may cost, e.g. 5 (mills), 0.5c, $0.01 (replaces the
                       per-request cap; the daily caps still apply)
  --dry-run            show the price (from the site's price catalog, else its 402) and pay nothing
  --header, -H H       a request header "Name: value" (repeatable)
  --output, -o FILE    write the body to FILE instead of stdout

Amounts: $1.50 (dollars), 0.5c or 0.5¢ (cents), 5 or 5m (mills; 1 mill = 1 coin = $0.001).`,
  async run(ctx) {
    const { values, positionals } = parse(ctx.args, {
      'max-price': { type: 'string' },
      'dry-run': { type: 'boolean' },
      header: { type: 'string', short: 'H', multiple: true },
      output: { type: 'string', short: 'o' },
    });
    const out = ctx.output(values.json ?? false);
    if (positionals.length !== 1) throw new UsageError('get needs exactly one URL');
    const url = positionals[0]!;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`not an http(s) URL: ${url}`);
    const headers = headersOf(values.header);
    return withWallet(walletDir(values.wallet, ctx.env), async (wallet) => {
      const caps = { ...wallet.caps, ...(values['max-price'] ? { perRequest: parseMoneyArg(values['max-price'], '--max-price') } : {}) };
      if (values['dry-run']) return dryRun(wallet, out, url, caps);
      const res = await wrapFetch(fetch, { wallet, caps })(url, { headers });
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (values.output) {
        const file = createWriteStream(values.output);
        file.end(bytes);
        await once(file, 'finish');
      } else await out.body(bytes);
      const paid = paymentOf(res);
      if (paid)
        out.note(paidText(paid), {
          status: res.status,
          payment: { ...paid, error: paid.error ? { code: paid.error.code, message: paid.error.message } : undefined },
        });
      else if (out.json) out.note('', { status: res.status, payment: null });
      if (paid?.status === 'declined' || paid?.status === 'refused') return EXIT.refused;
      return res.status >= 400 ? EXIT.error : EXIT.ok;
    });
  },
};
