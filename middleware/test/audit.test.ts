/**
 * Audit: attempts to break the vendor middleware with real requests (money made twice or lost,
 * paid content for free, hostile input). Each `describe` names the rule it holds the code to.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import express from 'express';
import {
  coinId,
  decodePaymentPayload,
  encodeHeader,
  micromintPayload,
  micromintRequirements,
  readMicromintPayload,
  toBase64,
} from '@micromint/shared';
import { MemoryVendorStore, redeemPending, RedeemError, SqliteVendorStore, type VendorStore } from '../src/index.ts';
import { challengeOf, cookiesOf, listen, paymentHeader, receiptOf, tempDir, type Running } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';

const BROKER = 'http://127.0.0.1:9';
const ALICE = userId(0xa11ce);
const MALLORY = userId(0x3a11);

let mint: Mint;
let vendor: Vendor;
let alice: Wallet;

before(async () => {
  mint = mintEpoch();
  vendor = await startVendor({ broker: BROKER, epoch: mint.epoch });
  alice = new Wallet(mint, ALICE, vendor.url);
});
after(async () => {
  await vendor.close();
});

const headerFor = (url: string, coins: Uint8Array[], user = ALICE, v: Vendor = vendor): string =>
  paymentHeader({ url, vendorId: v.url, broker: BROKER, epoch: mint.epoch, userId: user, coins });

const stats = () => vendor.mm.store.stats();

describe('audit: paid routes cannot be reached for free', () => {
  // Express routes match case-insensitively and with or without a trailing slash by default, so
  // `app.get('/api/quote')` also answers /API/QUOTE and /api/quote/: the price must follow.
  for (const flavor of ['express5', 'express4'] as const) {
    it(`${flavor}: /api/quote in another case or with a trailing slash still costs its price`, async () => {
      const v = flavor === 'express5' ? vendor : await startVendor({ broker: BROKER, epoch: mint.epoch, flavor });
      try {
        for (const path of ['/API/QUOTE', '/Api/Quote', '/api/quote/', '/API/quote/', '/api/FEEDS/x', '/api/feeds/x/']) {
          const res = await fetch(v.url + path, { headers: { accept: 'application/json' } });
          assert.equal(res.status, 402, `${flavor} ${path} must not be free`);
          assert.equal(challengeOf(res).accepts[0]!.amount, path.toLowerCase().includes('feeds') ? '2' : '1');
        }
      } finally {
        if (v !== vendor) await v.close();
      }
    });
  }

  it('an app with case-sensitive, strict routing keeps exact matching (no charge for its 404s)', async () => {
    const tmp = tempDir();
    const mm = (await import('../src/index.ts')).micromint({
      vendorId: 'http://127.0.0.1:1',
      broker: BROKER,
      epoch: mint.epoch,
      store: new MemoryVendorStore(),
      accessWindowSeconds: 0,
      prices: { '/api/quote': 1 },
    });
    const app = express();
    app.set('case sensitive routing', true);
    app.set('strict routing', true);
    app.use(mm);
    app.use((_req, res) => res.status(404).send('nope'));
    const server = await listen(app);
    try {
      assert.equal((await fetch(`${server.url}/api/quote`)).status, 402);
      assert.equal((await fetch(`${server.url}/API/QUOTE`)).status, 404);
      assert.equal((await fetch(`${server.url}/api/quote/`)).status, 404);
    } finally {
      await server.close();
      tmp.cleanup();
    }
  });
});

describe('audit: a paid URL the broker cannot redeem is not sold', () => {
  // The broker refuses a whole redemption batch whose coin URL is over 2048 characters (and a
  // MicroMint header value is at most 2048): one such coin would block every later batch.
  it('a paid URL over 2048 characters answers 414 and records nothing, with or without payment', async () => {
    const before = await stats();
    const url = `${vendor.url}/api/quote?q=${'x'.repeat(2100)}`;
    const challenge = await fetch(url);
    assert.equal(challenge.status, 414);
    assert.equal(((await challenge.json()) as { error: string }).error, 'url_too_long');
    const paid = await fetch(url, { headers: { 'payment-signature': headerFor(url, alice.take(1)) } });
    assert.equal(paid.status, 414);
    await paid.body?.cancel();
    assert.deepEqual(await stats(), before);
  });

  it('a paid URL of exactly 2048 characters is still sold', async () => {
    const base = `${vendor.url}/api/quote?q=`;
    const url = base + 'y'.repeat(2048 - base.length);
    assert.equal(url.length, 2048);
    const res = await fetch(url, { headers: { 'payment-signature': headerFor(url, alice.take(1)) } });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  it('a long free URL passes through untouched', async () => {
    const res = await fetch(`${vendor.url}/free.html?${'z'.repeat(3000)}`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });
});

describe('audit: a request that carries a payment is settled as a payment', () => {
  // Two tabs on one paid page: the first payment's cookie reaches the second tab before its own
  // payment does. If the cookie won, the second wallet would get no receipt and its coins would
  // stay locked as pending for ever; the payment must be recorded and receipted instead.
  it('a valid access cookie does not swallow a PAYMENT-SIGNATURE', async () => {
    const url = `${vendor.url}/articles/paid.html`;
    const first = await fetch(url, { headers: { 'payment-signature': headerFor(url, alice.take(2)) } });
    assert.equal(first.status, 200);
    const cookie = cookiesOf(first);
    const coins = alice.take(2);
    const second = await fetch(url, { headers: { cookie, 'payment-signature': headerFor(url, coins) } });
    assert.equal(second.status, 200);
    const receipt = receiptOf(second);
    assert.deepEqual((receipt.extensions as { micromint: { coins: string[] } }).micromint.coins, coins.map(coinId));
    const stored = await vendor.mm.store.payment(receipt.transaction);
    assert.equal(stored?.coins.length, 2);
    // The cookie alone still opens the page.
    const view = await fetch(url, { headers: { cookie } });
    assert.equal(view.status, 200);
    assert.equal(view.headers.get('payment-response'), null);
  });

  it('a valid cookie with a malformed PAYMENT-SIGNATURE is a 400, not a silent view', async () => {
    const url = `${vendor.url}/articles/paid.html`;
    const first = await fetch(url, { headers: { 'payment-signature': headerFor(url, alice.take(2)) } });
    const res = await fetch(url, { headers: { cookie: cookiesOf(first), 'payment-signature': 'garbage' } });
    assert.equal(res.status, 400);
    await res.body?.cancel();
  });
});

describe('audit: double spends and replays (sound)', () => {
  it('ten identical payments at once: one recorded, every request served, nothing twice', async () => {
    const url = `${vendor.url}/api/quote`;
    const header = headerFor(url, alice.take(1));
    const before = await stats();
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch(url, { headers: { 'payment-signature': header } })));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as { paid: { paymentId: string; replay: boolean } }[];
    assert.deepEqual(
      answers.map((r) => r.status),
      Array(10).fill(200),
    );
    assert.equal(new Set(bodies.map((b) => b.paid.paymentId)).size, 1);
    assert.equal(bodies.filter((b) => !b.paid.replay).length, 1);
    const after = await stats();
    assert.equal(after.payments - before.payments, 1);
    assert.equal(after.coins - before.coins, 1);
    assert.equal(after.refusals, before.refusals);
  });

  it('the same coin for two URLs at once: exactly one is served, the other refused and logged', async () => {
    const coins = alice.take(1);
    const urls = [`${vendor.url}/api/quote`, `${vendor.url}/articles/cheap.html`];
    const before = await stats();
    const answers = await Promise.all(
      urls.map((u) => fetch(u, { headers: { 'payment-signature': headerFor(u, coins), accept: 'application/json' } })),
    );
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 402]);
    const refused = answers.find((r) => r.status === 402)!;
    assert.equal(challengeOf(refused).error, 'already-spent');
    const after = await stats();
    assert.equal(after.coins - before.coins, 1);
    assert.equal(after.refusals - before.refusals, 1);
  });

  it('a subset, a superset or a reordering of a recorded payment is not a replay of it', async () => {
    const url = `${vendor.url}/articles/paid.html`;
    const coins = alice.take(2);
    assert.equal((await fetch(url, { headers: { 'payment-signature': headerFor(url, coins) } })).status, 200);
    // Reordered: the same coins for the same URL is the same payment.
    const swapped = await fetch(url, { headers: { 'payment-signature': headerFor(url, [coins[1]!, coins[0]!]) } });
    assert.equal(swapped.status, 200);
    assert.equal(receiptOf(swapped).success, true);
    // One old coin plus a new one at a 2-coin price: a double spend, and the new coin stays the user's.
    const fresh = alice.take(1);
    const mixed = await fetch(url, {
      headers: { 'payment-signature': headerFor(url, [coins[0]!, fresh[0]!]), accept: 'application/json' },
    });
    assert.equal(mixed.status, 402);
    const refused = (challengeOf(mixed).extensions as { micromint: { refused: { coinId: string }[] } }).micromint.refused;
    assert.deepEqual(
      refused.map((r) => r.coinId),
      [coinId(coins[0]!)],
    );
    const after = await fetch(`${vendor.url}/articles/cheap.html`, {
      headers: { 'payment-signature': headerFor(`${vendor.url}/articles/cheap.html`, fresh) },
    });
    assert.equal(after.status, 200, 'the coin that was not taken can still be spent');
    await after.body?.cancel();
  });

  it('another user replaying a recorded payment (same URL, same coins) is refused, not served', async () => {
    const url = `${vendor.url}/api/quote`;
    const coins = alice.take(1);
    assert.equal((await fetch(url, { headers: { 'payment-signature': headerFor(url, coins) } })).status, 200);
    const res = await fetch(url, { headers: { 'payment-signature': headerFor(url, coins, MALLORY), accept: 'application/json' } });
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'wrong-user');
  });

  it('a payment for GET replayed as POST is a double spend', async () => {
    const url = `${vendor.url}/api/action`;
    const coins = alice.take(3);
    const get = await fetch(url, { headers: { 'payment-signature': headerFor(url, coins) } });
    // GET /api/action is priced (the function prices by path) and recorded, then 404s downstream.
    assert.equal(get.status, 404);
    const post = await fetch(url, { method: 'POST', headers: { 'payment-signature': headerFor(url, coins), accept: 'application/json' } });
    assert.equal(post.status, 402);
    assert.equal(challengeOf(post).error, 'already-spent');
  });
});

describe('audit: hostile input never crashes or 500s (sound)', () => {
  const url = () => `${vendor.url}/articles/paid.html`;
  const enc = (v: unknown) => toBase64(new TextEncoder().encode(JSON.stringify(v)));
  const good = () => ({
    x402Version: 2,
    resource: { url: url() },
    accepted: micromintRequirements({ price: 2, vendorId: vendor.url, broker: BROKER, epoch: mint.epoch.id }),
    payload: { ...micromintPayload(mint.epoch.id, ALICE, alice.take(2)) },
  });
  const cases: [string, () => string][] = [
    ['null', () => enc(null)],
    ['a string', () => enc('x')],
    ['accepted an array', () => enc({ ...good(), accepted: [] })],
    ['payload null', () => enc({ ...good(), payload: null })],
    ['coins an object', () => enc({ ...good(), payload: { epoch: mint.epoch.id, userId: ALICE, coins: { 0: 'a' } } })],
    ['coins of numbers', () => enc({ ...good(), payload: { epoch: mint.epoch.id, userId: ALICE, coins: [1, 2] } })],
    ['epoch with a path', () => enc({ ...good(), payload: { ...good().payload, epoch: '../../x' } })],
    ['epoch __proto__', () => enc({ ...good(), payload: { ...good().payload, epoch: '__proto__' } })],
    ['scheme __proto__', () => enc({ ...good(), accepted: { ...good().accepted, scheme: '__proto__' } })],
    ['scheme toString', () => enc({ ...good(), accepted: { ...good().accepted, scheme: 'toString' } })],
    [
      'extra.vendorId a number',
      () => enc({ ...good(), accepted: { ...good().accepted, extra: { ...good().accepted.extra, vendorId: 5 } } }),
    ],
    ['resource.url not a URL', () => enc({ ...good(), resource: { url: 'javascript:alert(1)' } })],
    ['userId of 512 chars', () => enc({ ...good(), payload: { ...good().payload, userId: 'u'.repeat(512) } })],
    ['deep nesting', () => toBase64(new TextEncoder().encode('{"x402Version":2,"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}'))],
    ['base64 with whitespace', () => ` ${encodeHeader(good())} `],
    ['UTF-8 garbage', () => toBase64(new Uint8Array([0xff, 0xfe, 0x7b]))],
  ];
  for (const [what, header] of cases) {
    it(`${what}: 400 or 402, nothing recorded`, async () => {
      const before = await stats();
      const res = await fetch(url(), { headers: { 'payment-signature': header(), accept: 'application/json' } });
      assert.ok([200, 400, 402].includes(res.status), `${what}: ${res.status}`);
      await res.body?.cancel();
      if (res.status !== 200) assert.deepEqual(await stats(), before);
    });
  }

  it('a PAYMENT-SIGNATURE header over Node’s header limit is refused by Node (431), not by a crash', async () => {
    const res = await fetch(`${vendor.url}/articles/paid.html`, { headers: { 'payment-signature': 'A'.repeat(300 * 1024) } }).catch(
      (e: Error) => e,
    );
    if (res instanceof Response) assert.equal(res.status, 431);
  });

  it('path traversal and encoded .mm probes never read outside root nor serve a price file', async () => {
    for (const path of [
      '/articles/paid.html.mm',
      '/articles/paid.html%2Emm',
      '/articles/PAID.HTML.MM',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/articles/..%2f..%2fvendor.db',
      '/articles/paid.html.mm%00',
    ]) {
      const res = await fetch(vendor.url + path);
      assert.ok([400, 403, 404].includes(res.status), `${path}: ${res.status}`);
      const text = await res.text();
      assert.ok(!/^2\s*$/.test(text), `${path} served a price file`);
    }
  });

  it('hostile characters in the URL are escaped in the paywall page', async () => {
    const res = await fetch(`${vendor.url}/articles/paid.html?q="><script>alert(1)</script>&x='<!--<script>`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(res.status, 402);
    const html = await res.text();
    assert.equal((html.match(/<script/gi) ?? []).length, 1, 'only the wallet’s message element');
    assert.ok(!html.includes('"><'));
  });

  it('a cookie for one URL replayed under another URL’s name, or after expiry, opens nothing', async () => {
    const a = `${vendor.url}/articles/paid.html`;
    const paid = await fetch(a, { headers: { 'payment-signature': headerFor(a, alice.take(2)) } });
    const value = cookiesOf(paid).split('=')[1]!;
    // Learn /articles/cheap.html's cookie name from a real purchase, then swap the value in.
    const b = `${vendor.url}/articles/cheap.html`;
    const other = await fetch(b, { headers: { 'payment-signature': headerFor(b, alice.take(1)) } });
    const nameB = cookiesOf(other).split('=')[0]!;
    const res = await fetch(b, { headers: { cookie: `${nameB}=${value}` } });
    assert.equal(res.status, 402);
    await res.body?.cancel();
    // Same URL with a query: a different resource, not covered.
    const q = await fetch(`${a}?x=1`, { headers: { cookie: cookiesOf(paid) } });
    assert.equal(q.status, 402);
    await q.body?.cancel();
  });
});

/** A broker whose /api/redeem answers whatever `answer` returns for the request body. */
async function oddBroker(
  answer: (body: { batchId: string; coins: { coin: string }[] }) => unknown,
): Promise<Running & { calls: string[] }> {
  const calls: string[] = [];
  const app = express();
  app.use(express.json({ limit: '5mb' }));
  app.post('/api/redeem', (req, res) => {
    calls.push(req.body.batchId);
    res.json(answer(req.body));
  });
  return Object.assign(await listen(app), { calls });
}

async function storeWithCoins(n: number): Promise<{ store: VendorStore; ids: string[]; cleanup(): Promise<void> }> {
  const tmp = tempDir();
  const store = new SqliteVendorStore(`${tmp.dir}/v.db`);
  const wallet = new Wallet(mint, ALICE, 'http://127.0.0.1:4001');
  const coins = wallet.take(n);
  await store.recordPayment({
    id: 'pay_1',
    epoch: mint.epoch.id,
    userId: ALICE,
    method: 'GET',
    url: 'http://127.0.0.1:4001/a',
    price: n,
    paidAt: new Date().toISOString(),
    coins: coins.map((c) => ({ id: coinId(c), coin: c })),
  });
  return {
    store,
    ids: coins.map(coinId),
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
}

describe('audit: redemption only trusts a complete broker answer', () => {
  it('an answer that leaves coins out keeps the batch open (same id next time) and does not loop', async () => {
    const { store, ids, cleanup } = await storeWithCoins(3);
    // Answers no coin at all (a broker or proxy that lost them): the coins used to go back to
    // pending and out again in a new batch, again and again, without end.
    const broker = await oddBroker((b) => ({ batchId: b.batchId, credited: 0, creditedMills: 0, results: [] }));
    try {
      const run = redeemPending({ store, broker: broker.url, apiKey: 'k' });
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 3000).unref());
      const outcome = await Promise.race([
        run.then(
          () => 'done',
          (e: Error) => e,
        ),
        timeout,
      ]);
      assert.notEqual(outcome, 'timeout', `redeem looped: ${broker.calls.length} batches sent`);
      assert.ok(outcome instanceof RedeemError, 'an incomplete answer is a failed redemption');
      const st = await store.stats();
      assert.deepEqual([st.credited, st.pending, st.openBatches], [0, 3, 1], 'nothing marked from an invalid answer');
      const again = await store.unredeemed(500);
      assert.equal(again?.batchId, broker.calls[0], 'the retry reuses the batch id');
      assert.deepEqual(
        again?.coins.map((c) => c.coinId),
        ids,
      );
    } finally {
      await broker.close();
      await cleanup();
    }
  });

  it('an answer for part of the batch marks nothing and keeps the batch open', async () => {
    const { store, cleanup } = await storeWithCoins(3);
    const broker = await oddBroker((b) => ({
      batchId: b.batchId,
      credited: 1,
      creditedMills: 1,
      results: [{ coinId: coinId(Buffer.from(b.coins[0]!.coin, 'base64')), status: 'credited' }],
    }));
    try {
      await assert.rejects(redeemPending({ store, broker: broker.url, apiKey: 'k' }), RedeemError);
      const st = await store.stats();
      assert.deepEqual([st.credited, st.pending, st.openBatches], [0, 3, 1]);
    } finally {
      await broker.close();
      await cleanup();
    }
  });

  it('an answer naming coins that were not in the batch is refused as invalid', async () => {
    const { store, cleanup } = await storeWithCoins(1);
    const broker = await oddBroker((b) => ({
      batchId: b.batchId,
      credited: 2,
      creditedMills: 2,
      results: [
        { coinId: coinId(Buffer.from(b.coins[0]!.coin, 'base64')), status: 'credited' },
        { coinId: randomBytes(16).toString('hex'), status: 'credited' },
      ],
    }));
    try {
      await assert.rejects(redeemPending({ store, broker: broker.url, apiKey: 'k' }), RedeemError);
      const st = await store.stats();
      assert.deepEqual([st.credited, st.pending, st.openBatches], [0, 1, 1]);
    } finally {
      await broker.close();
      await cleanup();
    }
  });

  it('a complete answer in another order is accepted', async () => {
    const { store, cleanup } = await storeWithCoins(3);
    const broker = await oddBroker((b) => ({
      batchId: b.batchId,
      credited: 2,
      creditedMills: 2,
      results: b.coins
        .map((c, i) => ({
          coinId: coinId(Buffer.from(c.coin, 'base64')),
          status: i === 0 ? 'refused' : 'credited',
          ...(i === 0 ? { reason: 'forged' } : {}),
        }))
        .reverse(),
    }));
    try {
      const report = await redeemPending({ store, broker: broker.url, apiKey: 'k' });
      assert.equal(report.credited, 2);
      const st = await store.stats();
      assert.deepEqual([st.credited, st.refused, st.pending, st.openBatches], [2, 1, 0, 0]);
    } finally {
      await broker.close();
      await cleanup();
    }
  });
});

describe('audit: a retried payment is served as paid even when the terms moved on since', () => {
  // The wallet resends a pending payment byte for byte after a lost answer, possibly much later.
  // If the vendor recorded it the first time, refusing the resend (wrong-amount after a price
  // change, expired after the epoch ended) tells the wallet the coins were not taken: it releases
  // coins the vendor holds and will redeem, and spends them again elsewhere.
  it('after a price change', async () => {
    let price = 1;
    const v = await startVendor({ broker: BROKER, epoch: mint.epoch, prices: (req) => (req.path === '/priced' ? price : undefined) });
    try {
      const url = `${v.url}/priced`;
      const header = headerFor(url, new Wallet(mint, ALICE, v.url).take(1), ALICE, v);
      const first = await fetch(url, { headers: { 'payment-signature': header } });
      assert.equal(first.status, 404); // priced by the function, no handler: recorded, then 404
      const paymentId = receiptOf(first).transaction;
      price = 2;
      const again = await fetch(url, { headers: { 'payment-signature': header, accept: 'application/json' } });
      assert.notEqual(again.status, 402, 'the recorded payment must not be refused');
      assert.equal(receiptOf(again).transaction, paymentId);
      // A new payment at the old price is still refused.
      const fresh = await fetch(url, {
        headers: { 'payment-signature': headerFor(url, new Wallet(mint, ALICE, v.url).take(1), ALICE, v), accept: 'application/json' },
      });
      assert.equal(fresh.status, 402);
      assert.equal(challengeOf(fresh).error, 'wrong-amount');
      const st = await v.mm.store.stats();
      assert.deepEqual([st.payments, st.coins], [1, 1]);
    } finally {
      await v.close();
    }
  });

  it('after the epoch expired', async () => {
    // The vendor's clock, moved past the epoch's end: no real wait, nothing left to how long minting takes.
    let clock = Date.now();
    const short = mintEpoch({ id: 'short-1', balls: 20_000, expiresAt: new Date(clock + 60_000).toISOString() });
    const v = await startVendor({ broker: BROKER, epoch: short.epoch, now: () => clock });
    try {
      const url = `${v.url}/api/quote`;
      const coins = new Wallet(short, ALICE, v.url).take(1);
      const header = paymentHeader({ url, vendorId: v.url, broker: BROKER, epoch: short.epoch, userId: ALICE, coins });
      const first = await fetch(url, { headers: { 'payment-signature': header } });
      assert.equal(first.status, 200);
      const paymentId = receiptOf(first).transaction;
      clock = Date.parse(short.epoch.expiresAt) + 50;
      const again = await fetch(url, { headers: { 'payment-signature': header } });
      assert.equal(again.status, 200, again.status === 200 ? '' : await again.clone().text());
      assert.equal(receiptOf(again).transaction, paymentId);
      const body = (await again.json()) as { paid: { replay: boolean } };
      assert.equal(body.paid.replay, true);
      // Coins of the expired epoch never seen before are still refused.
      const late = new Wallet(short, ALICE, v.url).take(1);
      const res = await fetch(url, {
        headers: {
          'payment-signature': paymentHeader({ url, vendorId: v.url, broker: BROKER, epoch: short.epoch, userId: ALICE, coins: late }),
          accept: 'application/json',
        },
      });
      assert.equal(res.status, 503); // expired epoch and no broker to ask for a new one
      await res.body?.cancel();
      assert.equal((await v.mm.store.stats()).coins, 1);
    } finally {
      await v.close();
    }
  });
});

// findReplay's rule (the coins byte for byte, nothing changed) is in store-contract.test.ts, for every store.

describe('audit: a retried payment survives the vendor forgetting its epoch', () => {
  it('a vendor restarted on a newer epoch serves a recorded payment of the old one as paid', async () => {
    const store = new MemoryVendorStore();
    const vendorId = 'http://127.0.0.1:4009';
    const newer = mintEpoch({ id: 'test-2', balls: 1000 });
    const apps: Running[] = [];
    const make = async (epoch: typeof mint.epoch) => {
      const app = express();
      app.use(
        (await import('../src/index.ts')).micromint({
          vendorId,
          broker: BROKER,
          epoch,
          store,
          accessWindowSeconds: 0,
          prices: { '/p': 1 },
        }),
      );
      app.get('/p', (_req, res) => res.json({ paid: res.locals.micromint }));
      const r = await listen(app);
      apps.push(r);
      return r;
    };
    try {
      const before = await make(mint.epoch);
      const after = await make(newer.epoch); // the same shop after a restart: it only knows test-2
      const header = paymentHeader({
        url: `${vendorId}/p`,
        vendorId,
        broker: BROKER,
        epoch: mint.epoch,
        userId: ALICE,
        coins: new Wallet(mint, ALICE, vendorId).take(1),
      });
      const first = await fetch(`${before.url}/p`, { headers: { 'payment-signature': header } });
      assert.equal(first.status, 200);
      const again = await fetch(`${after.url}/p`, { headers: { 'payment-signature': header, accept: 'application/json' } });
      assert.equal(again.status, 200, 'the recorded payment is a replay, not unknown-epoch');
      assert.equal(receiptOf(again).transaction, receiptOf(first).transaction);
      // Coins of the forgotten epoch that were never recorded are still refused.
      const fresh = paymentHeader({
        url: `${vendorId}/p`,
        vendorId,
        broker: BROKER,
        epoch: mint.epoch,
        userId: ALICE,
        coins: new Wallet(mint, ALICE, vendorId).take(1),
      });
      const res = await fetch(`${after.url}/p`, { headers: { 'payment-signature': fresh, accept: 'application/json' } });
      assert.equal(res.status, 402);
      assert.equal(challengeOf(res).error, 'unknown-epoch');
      // Someone who learnt the coin id (it is in receipts and refusals) cannot pass it off as the coin.
      const recorded = readMicromintPayload(mint.epoch, decodePaymentPayload(header)).coins[0]!;
      const forged = Uint8Array.from([...recorded.subarray(0, 16), ...randomBytes(48)]);
      const fake = paymentHeader({ url: `${vendorId}/p`, vendorId, broker: BROKER, epoch: mint.epoch, userId: ALICE, coins: [forged] });
      const stolen = await fetch(`${after.url}/p`, { headers: { 'payment-signature': fake, accept: 'application/json' } });
      assert.equal(stolen.status, 402);
      await stolen.body?.cancel();
      assert.equal((await store.stats()).coins, 1);
    } finally {
      for (const a of apps) await a.close();
    }
  });
});
