/**
 * The demo shop: an ordinary Express 5 site, "The Tidewater Review", with the MicroMint
 * middleware dropped in. Article prices live in `.mm` files beside the articles; one JSON API
 * route is priced through the `prices` option. Paid pages take MicroMint coins and, once the shop
 * has an API key, PayWord chains (1 mill a link) for readers who come back.
 *
 * Run it: `tsx middleware/examples/shop/server.ts --port 4001 --broker http://127.0.0.1:4000 --data .data/shop`
 * @module
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express, { type Express, type Request } from 'express';
import { micromint, type MicroMintLogger, type MicroMintMiddleware, type PriceRule } from '../../src/index.ts';
import { pricedPages } from './pages.ts';

/** Options of {@link createShop}. */
export interface ShopOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Interface to listen on (default `127.0.0.1`). */
  host?: string;
  /** The broker's base URL, e.g. `http://127.0.0.1:4000`. */
  brokerUrl: string;
  /** Where the shop keeps its coin database, API key and cookie secret. */
  dataDir: string;
  /** The shop's API key at the broker; if absent, one saved in `dataDir` is used, else the shop registers. */
  apiKey?: string;
  /** Seconds a paid article stays readable without paying again (default 600). */
  accessWindowSeconds?: number;
  /** Receives warnings (default `console`). */
  logger?: MicroMintLogger;
}

/** A running shop. */
export interface Shop {
  app: Express;
  server: Server;
  /** The shop's origin, which is also its vendor id, e.g. `http://127.0.0.1:4001`. */
  url: string;
  /** The API key at the broker, if registration worked. */
  apiKey: string | undefined;
  middleware: MicroMintMiddleware;
  close(): Promise<void>;
}

/** Where the static site lives. */
export const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');

/** The articles with their titles (prices are in the `.mm` files). */
export const ARTICLES: Readonly<Record<string, string>> = {
  '/articles/letter-from-the-editor.html': 'A letter from the editor',
  '/articles/a-short-history-of-the-mill.html': 'A short history of the mill',
  '/articles/the-lighthouse-keepers-ledger.html': "The lighthouse keeper's ledger",
  '/articles/sourdough-at-altitude.html': 'Notes on sourdough at altitude',
  '/articles/the-cartographers-last-map.html': "The cartographer's last map",
};

/** Prices set through the `prices` option rather than `.mm` files, with the media type the API answers. */
export const API_PRICES: Readonly<Record<string, PriceRule>> = { '/api/quote': { price: 1, mimeType: 'application/json' } };

const QUOTES = [
  { text: 'A tide table is a promise the moon keeps without being asked.', by: "Harbour-master's notebook, 1911" },
  { text: 'Pay for what you read, and read what you paid for.', by: 'The Tidewater Review' },
  { text: 'Every map is a letter to someone who has not yet gotten lost.', by: 'Ines Varga, cartographer' },
  { text: 'Bread at altitude asks for patience the way a kite asks for wind.', by: 'A baker in Leadville' },
  { text: 'The smallest coin still has two sides.', by: 'Proverb of the fish market' },
];

interface SavedVendor {
  vendorId: string;
  apiKey: string;
}

function readSaved(file: string): SavedVendor | undefined {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedVendor>;
    return typeof json.vendorId === 'string' && typeof json.apiKey === 'string'
      ? { vendorId: json.vendorId, apiKey: json.apiKey }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Registers `origin` at the broker and returns the API key it gives once. */
async function register(brokerUrl: string, origin: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${brokerUrl.replace(/\/+$/, '')}/api/vendors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ origin, name: 'The Tidewater Review (demo shop)' }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(`the broker is unreachable (${cause})`, { cause: e });
  }
  const body = (await res.json().catch(() => ({}))) as { apiKey?: unknown; error?: unknown; message?: unknown };
  if (res.status === 409)
    throw new Error(`the broker already has a vendor ${origin}, but its API key is not in the data directory: pass --api-key`);
  if (res.status !== 201 || typeof body.apiKey !== 'string')
    throw new Error(`vendor registration answered ${res.status} ${String(body.message ?? body.error ?? '')}`);
  return body.apiKey;
}

/**
 * Starts the shop: listens, finds or obtains its API key, mounts the MicroMint middleware.
 * @example
 * const shop = await createShop({ brokerUrl: 'http://127.0.0.1:4000', dataDir: '.data/shop', port: 4001 });
 * console.log(`open ${shop.url}`);
 * await shop.close();
 */
export async function createShop(o: ShopOptions): Promise<Shop> {
  const logger = o.logger ?? console;
  const host = o.host ?? '127.0.0.1';
  mkdirSync(o.dataDir, { recursive: true });
  const secretFile = join(o.dataDir, 'cookie-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const secret = readFileSync(secretFile, 'utf8').trim();

  const app = express();
  app.disable('x-powered-by');
  // Requests that arrive while the shop is still registering wait for it.
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  app.use((_req, _res, next) => {
    ready.then(() => next(), next);
  });

  const server = createServer(app);
  server.listen(o.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;

  const vendorFile = join(o.dataDir, 'vendor.json');
  let apiKey = o.apiKey;
  if (!apiKey) {
    const saved = readSaved(vendorFile);
    if (saved && saved.vendorId === url) apiKey = saved.apiKey;
  }
  if (!apiKey) {
    try {
      apiKey = await register(o.brokerUrl, url);
      writeFileSync(vendorFile, JSON.stringify({ vendorId: url, apiKey }, null, 2) + '\n', { mode: 0o600 });
    } catch (e) {
      logger.warn(
        `shop: could not register ${url} at the broker ${o.brokerUrl}: ${(e as Error).message}. Coins are still taken; redeeming them needs an API key.`,
      );
    }
  }

  let middleware: MicroMintMiddleware;
  try {
    middleware = micromint({
      vendorId: url,
      broker: o.brokerUrl,
      ...(apiKey ? { apiKey } : {}),
      // Coins first; chains need the API key (the shop's payword key is registered with it).
      schemes: apiKey ? ['micromint', 'payword'] : ['micromint'],
      linkValue: 1,
      root: PUBLIC_DIR,
      prices: API_PRICES,
      dbPath: join(o.dataDir, 'micromint-vendor.db'),
      secret,
      ...(o.accessWindowSeconds !== undefined ? { accessWindowSeconds: o.accessWindowSeconds } : {}),
      description: (req: Request) => ARTICLES[req.path] ?? (req.path === '/api/quote' ? 'Quote of the moment' : undefined),
      logger,
    });
  } catch (e) {
    server.close();
    throw e;
  }

  app.use(middleware);
  // The content is the quote; what was paid is in the PAYMENT-RESPONSE receipt, not in the answer.
  app.get('/api/quote', (_req, res) => {
    res.json(QUOTES[Math.floor(Math.random() * QUOTES.length)]!);
  });
  // The pages that show prices, filled in from the prices the middleware charges.
  app.get(['/', '/index.html', '/quote.html'], pricedPages(PUBLIC_DIR, API_PRICES, logger));
  // Healthy means payments can be taken: the store records and an epoch is known. 503 otherwise,
  // with what is wrong (codes only; the causes are in the log).
  app.get('/api/health', async (_req, res, next) => {
    try {
      const health = await middleware.health();
      res
        .status(health.ok ? 200 : 503)
        .set('Cache-Control', 'no-store')
        .json({ ...health, vendorId: url });
    } catch (e) {
      next(e);
    }
  });
  // Paid pages must not be cached publicly: the middleware marks them private, so do not let
  // serve-static overwrite Cache-Control.
  app.use(express.static(PUBLIC_DIR, { cacheControl: false, index: 'index.html' }));
  markReady();

  return {
    app,
    server,
    url,
    apiKey,
    middleware,
    async close() {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await middleware.close();
    },
  };
}

async function runFromCommandLine(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4001' },
      host: { type: 'string', default: '127.0.0.1' },
      broker: { type: 'string', default: 'http://127.0.0.1:4000' },
      data: { type: 'string', default: '.data/shop' },
      'api-key': { type: 'string' },
      'access-window': { type: 'string' },
    },
  });
  const shop = await createShop({
    port: Number(values.port),
    host: values.host,
    brokerUrl: values.broker,
    dataDir: values.data,
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values['access-window'] ? { accessWindowSeconds: Number(values['access-window']) } : {}),
  });
  console.log(`The Tidewater Review is open at ${shop.url} (broker ${values.broker})`);
  console.log(
    `Payments are recorded in ${join(values.data, 'micromint-vendor.db')}; micromint-redeem redeems them with the API key in ${join(values.data, 'vendor.json')}.`,
  );
  const stop = () => {
    shop.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFromCommandLine().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
