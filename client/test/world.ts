/**
 * The real parts the client tests pay: the broker (minting the fast `test` epoch into a fresh
 * SQLite file) and the demo shop (middleware/examples/shop, its own SQLite store), each an Express
 * app on a loopback port in this process; wallets in fresh temporary directories.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PARAMETER_SETS, toBase64 } from '@micromint/shared';
import {
  addFunds,
  buySets,
  connectWalletKey,
  createBroker,
  fundsWithdrawnText,
  mintEpoch,
  signUp,
  type Broker,
} from '../../broker/src/index.ts';
import { createToken } from '../../broker/src/core/tokens.ts';
import express from 'express';
import { micromint } from '../../middleware/src/index.ts';
import { createShop, type Shop } from '../../middleware/examples/shop/server.ts';
import { markConnected } from '../src/wallet/wallet-key.ts';
import { walletKey } from '../src/wallet/wallet-key.ts';
import type { Wallet } from '../src/wallet/wallet.ts';

/** A fresh temporary directory. */
export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `mm-client-${prefix}-`));

/** The broker and the shop, running. */
export interface World {
  brokerUrl: string;
  broker: Broker;
  shop: Shop;
  /** A reader with `dollars` of sandbox funds: their user id. */
  reader(email: string, mills?: number): Promise<string>;
  /** Buys `sets` sets for `userId` through the broker's core (the page's purchase) and returns the Funds-Withdrawn text. */
  buy(userId: string, sets?: number): Promise<string>;
  /** An API token of `userId` (what the account page's "API tokens" card makes), with an optional limit in dollars. */
  token(userId: string, limit?: string): Promise<string>;
  /** Starts another shop (another vendor on another port) on the same broker; stopped with the world. */
  anotherShop(): Promise<Shop>;
  /** A one-page vendor whose page costs `price` coins (more than a header holds: paid in a POST body). */
  bigVendor(price: number): Promise<string>;
  /** Connects the wallet's key to `userId`'s account (what the account page's form does) and notes it in the wallet. */
  connect(wallet: Wallet, userId: string): Promise<void>;
  stop(): Promise<void>;
}

const quiet = { warn: () => undefined, error: (m: string) => console.error(m) };

/**
 * Starts the broker (its epoch valid `validSeconds`, default 30 days; its clock `now`, default the real one) and the shop
 * (`accessWindowSeconds` 0: every request is paid).
 */
export async function startWorld(o: { validSeconds?: number; redeemGraceSeconds?: number; now?: () => Date } = {}): Promise<World> {
  const dir = tempDir('world');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const brokerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const broker = await createBroker({
    dbPath: join(dir, 'broker.db'),
    publicUrl: brokerUrl,
    authAttemptsPerMinute: 10_000,
    ...(o.now ? { now: o.now } : {}),
    ...(o.redeemGraceSeconds !== undefined ? { redeemGraceSeconds: o.redeemGraceSeconds } : {}),
  });
  server.on('request', broker.app);
  await mintEpoch({
    store: broker.store,
    params: PARAMETER_SETS.test,
    workers: 1,
    now: broker.context.now(),
    ...(o.validSeconds ? { validSeconds: o.validSeconds } : {}),
  });
  const shop = await createShop({ brokerUrl, dataDir: join(dir, 'shop'), accessWindowSeconds: 0, logger: quiet });
  let n = 0;
  const others: Shop[] = [];
  const stops: (() => Promise<void>)[] = [];
  return {
    brokerUrl,
    broker,
    shop,
    async reader(email, mills = 5000) {
      const user = await signUp(broker.context, email, `correct horse battery ${++n}`);
      await addFunds(broker.context, user, 'sandbox', mills);
      return user.id;
    },
    async buy(userId, sets = 1) {
      return fundsWithdrawnText(broker.context, (await buySets(broker.context, userId, sets)).withdrawalId);
    },
    async token(userId, limit) {
      return (await createToken(broker.context, userId, { name: `test ${++n}`, ...(limit ? { limit } : {}) })).secret;
    },
    async anotherShop() {
      const other = await createShop({ brokerUrl, dataDir: join(dir, `shop-${others.length + 2}`), accessWindowSeconds: 0, logger: quiet });
      others.push(other);
      return other;
    },
    async bigVendor(price) {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const app = express();
      const mm = micromint({
        vendorId: url,
        broker: brokerUrl,
        prices: { '/long-read.html': price },
        dbPath: join(dir, `big-${url.slice(-5)}.db`),
        secret: 'x'.repeat(32),
        logger: quiet,
      });
      app.use(mm);
      app.get('/long-read.html', (_req, res) => void res.type('html').send('<p>The long read.</p>'));
      server.on('request', app);
      stops.push(async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await mm.close();
      });
      return url;
    },
    async connect(wallet, userId) {
      await connectWalletKey(broker.context, userId, toBase64(walletKey(wallet.db).publicKey));
      markConnected(wallet.db, brokerUrl);
    },
    async stop() {
      for (const stop of stops) await stop();
      for (const other of others) await other.close();
      await shop.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
