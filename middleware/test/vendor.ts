/**
 * A vendor site for tests: a temp static root with free and paid files, a paid JSON route,
 * a paid POST route priced by a function, and the middleware in front of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import express4 from 'express4';
import { micromint, type MicroMintMiddleware, type MicroMintOptions, type PaidRequest } from '../src/index.ts';
import type { TestBroker } from './broker.ts';
import { freePort, quietLogger, tempDir } from './harness.ts';

/** Writes the test site; returns its root. */
export function writeSite(dir: string): string {
  const root = join(dir, 'public');
  mkdirSync(join(root, 'articles'), { recursive: true });
  mkdirSync(join(root, 'club'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<h1>Home</h1>');
  writeFileSync(join(root, 'free.html'), '<h1>Free article</h1>');
  writeFileSync(join(root, 'articles', 'paid.html'), '<h1>Paid article</h1>');
  writeFileSync(join(root, 'articles', 'paid.html.mm'), '2\n');
  writeFileSync(join(root, 'articles', 'cheap.html'), '<h1>Cheap article</h1>');
  writeFileSync(join(root, 'articles', 'cheap.html.mm'), '1');
  writeFileSync(join(root, 'articles', 'ghost.html.mm'), '3');
  writeFileSync(join(root, 'club', 'index.html'), '<h1>Members</h1>');
  writeFileSync(join(root, 'club', 'index.html.mm'), '4');
  return root;
}

export interface Vendor {
  url: string;
  root: string;
  dir: string;
  mm: MicroMintMiddleware;
  logger: ReturnType<typeof quietLogger>;
  close(): Promise<void>;
}

/**
 * Starts a vendor on 127.0.0.1 (port chosen first, so the vendor id is the real origin).
 * `flavor: 'express4'` mounts the same middleware on Express 4; `routes` adds the test's own
 * routes right after the middleware; `port` restarts a vendor at the origin it had.
 */
export async function startVendor(
  options: Omit<MicroMintOptions, 'vendorId'> & {
    flavor?: 'express5' | 'express4';
    routes?: (app: express.Express) => void;
    port?: number;
  },
): Promise<Vendor> {
  const tmp = tempDir();
  const root = writeSite(tmp.dir);
  const logger = quietLogger();
  // Node's default limits (16 KiB of request headers): payments must fit through them as they are.
  let handler: (req: unknown, res: unknown) => void = () => undefined;
  const server = createServer((req, res) => handler(req, res));
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { flavor, routes, port: _port, ...rest } = options;
  const mm = micromint({
    root,
    ...(rest.store || rest.dbPath ? {} : { dbPath: join(tmp.dir, 'vendor.db') }),
    secret: 'test-secret-that-is-at-least-32-chars',
    logger,
    prices: [{ '/api/quote': 1, '/api/feeds/*': 2 }, (req) => (req.path === '/api/action' ? 3 : undefined)],
    ...rest,
    vendorId: url,
  });
  const x = flavor === 'express4' ? express4 : express;
  const app = x();
  app.set('env', 'test'); // Express's final handler then does not print the expected 500s
  app.use(mm);
  routes?.(app as express.Express);
  app.get('/api/quote', async (_req, res) => {
    const paid = res.locals.micromint as PaidRequest;
    // What the store holds while the paid handler runs: the payment is already recorded.
    const stored = paid.paymentId ? await mm.store.payment(paid.paymentId) : undefined;
    const chain = paid.chain ? await mm.store.paywordChain?.(paid.chain.chainId) : undefined;
    res.json({
      quote: 'Small coins, honest pages.',
      paid,
      stored: stored ?? null,
      ...(chain ? { chain: { highestIndex: chain.highestIndex } } : {}),
    });
  });
  app.get('/api/feeds/:name', (req, res) => {
    res.json({ feed: req.params.name });
  });
  app.post('/api/action', (_req, res) => {
    res.json({ done: true, paid: res.locals.micromint });
  });
  app.use(x.static(root, { cacheControl: false }));
  handler = app as unknown as typeof handler;
  return {
    url,
    root,
    dir: tmp.dir,
    mm,
    logger,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await mm.close();
      tmp.cleanup();
    },
  };
}

/**
 * A vendor registered at `broker` under its real origin (the port is chosen first), taking both
 * schemes (coins first) unless `options` says otherwise: it registers its payword key at start-up.
 */
export async function startRegisteredVendor(
  broker: TestBroker,
  options: Partial<Parameters<typeof startVendor>[0]> = {},
): Promise<Vendor & { apiKey: string }> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const apiKey = [...broker.vendors].find(([, o]) => o === origin)?.[0] ?? broker.register(origin);
  const v = await startVendor({ broker: broker.url, apiKey, schemes: ['micromint', 'payword'], ...options, port });
  return Object.assign(v, { apiKey });
}
