/**
 * The shop's pages that show money: the front page's price badges and the quote page. They are
 * HTML files under `public/` whose badges name what they price, `<span class="badge paid"
 * data-price-of="/articles/story.html"></span>`; each request fills them in from the prices the
 * middleware charges (the `.mm` files and the API's price rule), written by `formatPrice`, so a
 * price is set in one place and money is shown one way.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { formatMoney, formatPrice } from '@micromint/shared';
import { escapeHtml } from '../../src/index.ts';
import { PriceFiles, type PriceRule } from '../../src/prices.ts';

const BADGE = /<span class="badge ([a-z ]+)" data-price-of="([^"]+)">([^<]*)<\/span>/g;

/** A badge's text and attributes for `price` coins (undefined: free). */
function badge(classes: string, prefix: string, price: number | undefined): string {
  if (price === undefined) return '<span class="badge free">Free</span>';
  const money = escapeHtml(formatMoney(price));
  return `<span class="badge ${classes}" data-price="${price}" data-money="${money}">${prefix}${escapeHtml(formatPrice(price))}</span>`;
}

/**
 * Serves the pages under `publicDir` that carry price badges, filled in per request.
 * @example
 * app.get(['/', '/index.html', '/quote.html'], pricedPages(PUBLIC_DIR, { '/api/quote': { price: 1 } }, logger));
 */
export function pricedPages(
  publicDir: string,
  apiPrices: Readonly<Record<string, PriceRule>>,
  logger: { error(message: string): void },
): RequestHandler {
  const files = new PriceFiles(publicDir, (e) => logger.error(`shop: ${e.message}`));
  const priceOf = async (path: string): Promise<number | undefined> => apiPrices[path]?.price ?? (await files.priceOf(path));
  return async (req, res, next) => {
    try {
      const name = req.path === '/' ? 'index.html' : req.path.slice(1);
      const template = await readFile(join(publicDir, name), 'utf8');
      const prices = new Map<string, number | undefined>();
      for (const [, , path] of template.matchAll(BADGE)) if (!prices.has(path!)) prices.set(path!, await priceOf(path!));
      const html = template.replace(BADGE, (_all, classes: string, path: string, prefix: string) =>
        badge(classes, prefix, prices.get(path)),
      );
      res.type('html').send(html);
    } catch (e) {
      next(e);
    }
  };
}
