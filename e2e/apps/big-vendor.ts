/**
 * A one-page vendor for the end-to-end tests: an Express app with the MicroMint middleware and a
 * single article priced {@link BIG_PRICE} coins, more than a PAYMENT-SIGNATURE header can carry,
 * so the wallet must pay it in the body of a POST. (The demo shop's prices stop at 8 coins.)
 *
 * `tsx e2e/apps/big-vendor.ts --port 4002 --broker http://127.0.0.1:4000 --data <dir>`
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express from 'express';
import { micromint } from '@micromint/middleware';

/** The price of the article, in coins. */
export const BIG_PRICE = 200;
/** Its path and title. */
export const BIG_PATH = '/long-read.html';
export const BIG_TITLE = 'The long read';

/** Starts the vendor from its command line. */
function main(): void {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, broker: { type: 'string' }, data: { type: 'string' } },
    strict: true,
  });
  const port = Number(values.port);
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(values.data!, { recursive: true });

  const app = express();
  app.use(
    micromint({
      vendorId: url,
      broker: values.broker!,
      prices: { [BIG_PATH]: BIG_PRICE },
      dbPath: join(values.data!, 'micromint-vendor.db'),
      secret: randomBytes(32),
      description: BIG_TITLE,
    }),
  );
  app.get(BIG_PATH, (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${BIG_TITLE}</title></head>
  <body><article><h1>${BIG_TITLE}</h1><p>Worth every one of its ${BIG_PRICE} coins.</p></article></body></html>`);
  });
  app.get('/', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  app.listen(port, '127.0.0.1');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
