/**
 * The vendor's paid path over real HTTP (Express on loopback, a real SQLite file): payments that
 * arrive together share one durable transaction and each request is served only once its own
 * payment is in the file; a transaction that cannot be committed fails every request of it,
 * serves none and takes no coin; and price files are read from memory yet an edited, added or
 * removed `.mm` file is seen.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { micromint, SqliteVendorStore, type PaidRequest } from '../src/index.ts';
import { challengeOf, paymentHeader, quietLogger, tempDir } from './harness.ts';
import { mintEpoch, userId, Wallet } from './mint.ts';

const BROKER = 'http://127.0.0.1:9';
const mint = mintEpoch();

/** Polls `check` until it holds (for changes the site sees through fs.watch); fails after 10 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A site whose requests can be held at the door until `n` have come, then let in all at once (as
 * a burst arrives together): `/paid` costs 1 coin and answers whether its payment's coin is in the
 * database file, read through a connection of its own.
 */
async function startSite(o: { now?: () => number } = {}) {
  const tmp = tempDir();
  const root = join(tmp.dir, 'public');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'page.html'), '<h1>Page</h1>');
  writeFileSync(join(root, 'page.html.mm'), '1\n');
  writeFileSync(join(root, 'free.html'), '<h1>Free</h1>');
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = new SqliteVendorStore(join(tmp.dir, 'vendor.db'));
  const reader = new Database(store.path, { readonly: true });
  const onDisk = reader.prepare(`SELECT COUNT(*) FROM coins WHERE coin_id = ?`).pluck();
  const logger = quietLogger();
  const mm = micromint({
    vendorId: url,
    broker: BROKER,
    epoch: mint.epoch,
    store,
    root,
    prices: { '/paid': 1, '/paid-too': 1 },
    secret: 'test-secret-that-is-at-least-32-chars',
    accessWindowSeconds: 0,
    replayWindowSeconds: 60,
    logger,
    ...(o.now ? { now: o.now } : {}),
  });
  const held: (() => void)[] = [];
  let holding = 0;
  let served = 0;
  const app = express();
  app.use((_req, _res, next) => {
    if (holding === 0) return next();
    held.push(next);
    if (held.length < holding) return;
    holding = 0;
    for (const let_in of held.splice(0)) let_in(); // all in the same turn of the event loop
  });
  app.use(mm);
  app.get(['/paid', '/paid-too'], (_req, res) => {
    served++;
    const paid = res.locals.micromint as PaidRequest;
    res.json({ paymentId: paid.paymentId, inFile: onDisk.get(paid.coins[0]) === 1, syncs: store.commits.syncs });
  });
  app.use(express.static(root, { cacheControl: false }));
  server.on('request', app);
  const wallet = new Wallet(mint, userId(1), url);
  return {
    url,
    root,
    store,
    reader,
    logger,
    served: () => served,
    /** Holds the next `n` requests until all `n` came. */
    hold: (n: number) => {
      holding = n;
    },
    pay: (coins = wallet.take(1)) =>
      paymentHeader({ url: `${url}/paid`, vendorId: url, broker: BROKER, epoch: mint.epoch, userId: userId(1), coins }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await mm.close();
      await store.close();
      reader.close();
      tmp.cleanup();
    },
  };
}

type Site = Awaited<ReturnType<typeof startSite>>;

describe('concurrent payments over HTTP', () => {
  let site: Site;
  before(async () => {
    site = await startSite();
    // A first payment: the epoch is kept in the store before its coins are taken (a write of its own).
    const first = await fetch(`${site.url}/paid`, { headers: { 'payment-signature': site.pay() } });
    assert.equal(first.status, 200);
  });
  after(() => site.close());

  it('share one durable transaction, and each request is served only once its payment is in the file', async () => {
    const commits = site.store.commits.commits;
    const headers = Array.from({ length: 8 }, () => site.pay());
    site.hold(headers.length);
    const answers = await Promise.all(headers.map((h) => fetch(`${site.url}/paid`, { headers: { 'payment-signature': h } })));
    assert.deepEqual(
      answers.map((a) => a.status),
      headers.map(() => 200),
    );
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as { paymentId: string; inFile: boolean; syncs: number }[];
    assert.equal(new Set(bodies.map((b) => b.paymentId)).size, headers.length, 'a payment each');
    assert.ok(
      bodies.every((b) => b.inFile),
      'every coin was in the database file when its page was served',
    );
    assert.equal(site.store.commits.commits - commits, 1, 'the eight payments were committed together');
    const st = await site.store.stats();
    assert.deepEqual([st.payments, st.coins], [headers.length + 1, headers.length + 1]);
  });

  it('a transaction that cannot be committed fails every request of it, serves none, and takes no coin', async () => {
    const { store } = site;
    // A deferred foreign key violated by every new payment: SQLite refuses the COMMIT itself.
    store.db.exec(`CREATE TABLE boom_parent (id INTEGER PRIMARY KEY);
                   CREATE TABLE boom (p INTEGER REFERENCES boom_parent(id) DEFERRABLE INITIALLY DEFERRED);
                   CREATE TRIGGER boom_on_payment AFTER INSERT ON payments BEGIN INSERT INTO boom (p) VALUES (1); END;`);
    const before = await store.stats();
    const served = site.served();
    const headers = Array.from({ length: 4 }, () => site.pay());
    site.hold(headers.length);
    const answers = await Promise.all(headers.map((h) => fetch(`${site.url}/paid`, { headers: { 'payment-signature': h } })));
    for (const a of answers) {
      assert.equal(a.status, 503);
      assert.equal(((await a.json()) as { error: string }).error, 'store_unavailable');
    }
    assert.equal(site.served(), served, 'no page was served');
    assert.deepEqual(await store.stats(), before, 'nothing was recorded');
    assert.match(site.logger.errors.join('\n'), /FOREIGN KEY/);
    // The wallet sends the same payments again once the store works: all taken, once each.
    store.db.exec(`DROP TRIGGER boom_on_payment; DROP TABLE boom; DROP TABLE boom_parent;`);
    const again = await Promise.all(headers.map((h) => fetch(`${site.url}/paid`, { headers: { 'payment-signature': h } })));
    assert.deepEqual(
      again.map((a) => a.status),
      headers.map(() => 200),
    );
    assert.equal((await store.stats()).payments, before.payments + headers.length);
  });
});

describe('.mm price files over HTTP', () => {
  let site: Site;
  before(async () => {
    site = await startSite();
  });
  after(() => site.close());

  const priceOf = async (path: string): Promise<number | 'free'> => {
    const res = await fetch(site.url + path);
    await res.body?.cancel();
    if (res.status === 200) return 'free';
    assert.equal(res.status, 402);
    return Number(challengeOf(res).accepts[0]!.amount);
  };

  it('an edited price file is used, a new one prices a free page, a removed one frees it', async () => {
    assert.equal(await priceOf('/page.html'), 1);
    assert.equal(await priceOf('/page.html'), 1, 'from memory the second time');
    writeFileSync(join(site.root, 'page.html.mm'), '3\n');
    await eventually('the new price is asked', async () => (await priceOf('/page.html')) === 3);
    assert.equal(await priceOf('/free.html'), 'free');
    writeFileSync(join(site.root, 'free.html.mm'), '2');
    await eventually('the free page is priced', async () => (await priceOf('/free.html')) === 2);
    rmSync(join(site.root, 'free.html.mm'));
    await eventually('the page is free again', async () => (await priceOf('/free.html')) === 'free');
  });
});

describe('a payment retried over HTTP', () => {
  let site: Site;
  let clock = Date.now();
  before(async () => {
    site = await startSite({ now: () => clock });
  });
  after(() => site.close());

  it('is served again from memory once the store answered it as a replay, for its own URL and method only, within the window', async () => {
    const header = site.pay();
    const get = (path = '/paid', method = 'GET') => fetch(site.url + path, { method, headers: { 'payment-signature': header } });
    const first = await get();
    const paymentId = ((await first.json()) as { paymentId: string }).paymentId;
    const replay = await get(); // the store finds it recorded: a replay, marked as served again
    assert.equal(((await replay.json()) as { paymentId: string }).paymentId, paymentId);
    // The store is gone: the same request is still known, nothing else is.
    const served = site.served();
    site.store.db.close();
    const again = await get();
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { paymentId: string }).paymentId, paymentId);
    assert.equal(site.served(), served + 1);
    const head = await get('/paid', 'HEAD');
    assert.equal(head.status, 200, 'HEAD is the GET it pays for');
    const elsewhere = await get('/paid-too');
    await elsewhere.body?.cancel();
    assert.notEqual(elsewhere.status, 200, 'the same header for another URL is not that payment');
    // After the replay window, the full path answers (here: the store is unavailable), never the memory.
    clock += 61_000;
    const late = await get();
    await late.body?.cancel();
    assert.notEqual(late.status, 200);
  });
});
