/**
 * Paying with a PayWord chain (docs/protocol.md section 12.6), through real requests: the 402
 * offers both schemes in the site's order; a chain pays link by link or l links at once; the vendor
 * verifies with no broker call, across a restart; a fresh instance asks for the commitment; two
 * tabs paying from one chain at once both get what they paid for; a copied link pays for nothing
 * else; retries follow the replay window; and nobody pays for a free or failed page.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import express from 'express';
import { decodePaymentPayload, readPaywordRequirements, toBase64, micromintNetwork, type SettlementResponse } from '@micromint/shared';
import { DEFAULTS, KEY_NAMES, MemoryVendorStore, micromint } from '../src/index.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { ChainWallet, offerOf, type TestChain } from './chains.ts';
import { challengeOf, listen, quietLogger, receiptOf, tempDir } from './harness.ts';
import { mintEpoch, userId, type Mint } from './mint.ts';
import { startRegisteredVendor, startVendor, type Vendor } from './vendor.ts';

const ALICE = userId(0xa11ce);
const PRICES = { '/api/quote': 1, '/api/feeds/*': 2, '/boom': 1 };

let mint: Mint;
let broker: TestBroker;
let vendor: Vendor & { apiKey: string };
let wallet: ChainWallet;
const tmp = tempDir();

before(async () => {
  mint = mintEpoch({ balls: 4000 });
  broker = await startBroker({ epochs: [mint.epoch] });
  vendor = await startRegisteredVendor(broker, {
    epoch: mint.epoch,
    prices: PRICES,
    routes: (app) =>
      app.get('/boom', () => {
        throw new Error('a bug in the handler');
      }),
  });
  wallet = new ChainWallet(broker, ALICE);
});
after(async () => {
  await vendor.close();
  await broker.close();
  tmp.cleanup();
});

const pay = (url: string, header: string, headers: Record<string, string> = {}) =>
  fetch(url, { headers: { 'payment-signature': header, accept: 'application/json', ...headers } });
const paywordOf = (r: SettlementResponse) => (r.extensions as { payword: Record<string, unknown> }).payword;
const refusalOf = (res: Response) => {
  const c = challengeOf(res);
  return { error: c.error, ...(c.extensions as { payword: Record<string, unknown> }).payword };
};
/** A chain opened at the broker for `path`'s offer at `v`. */
const openFor = async (path: string, v: Vendor = vendor, w: ChainWallet = wallet): Promise<TestChain> =>
  w.open(await offerOf(v.url + path));

describe('the challenge', () => {
  it('offers both schemes in one 402, in the site\u2019s order; payword names the registered vendor key, the link value and the units', async () => {
    const res = await fetch(`${vendor.url}/articles/paid.html`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 402);
    const { accepts } = challengeOf(res);
    assert.deepEqual(
      accepts.map((a) => a.scheme),
      ['micromint', 'payword'],
    );
    const offer = accepts[1]!;
    assert.deepEqual(
      [offer.network, offer.payTo, offer.amount, offer.asset, offer.maxTimeoutSeconds],
      [micromintNetwork(broker.url), vendor.url, '2', 'mill', 60],
    );
    const extra = readPaywordRequirements(offer);
    assert.deepEqual(
      { ...extra, vendorKeyBytes: undefined },
      {
        price: 2,
        broker: broker.url,
        vendorId: vendor.url,
        vendorKey: broker.payword.vendorKeys.get(vendor.url),
        vendorKeyBytes: undefined,
        linkValue: 1,
        units: 2,
      },
    );
    const page = await (await fetch(`${vendor.url}/articles/paid.html`)).text();
    assert.match(page, /PayWord chain/, 'the paywall page says chains are taken');
    assert.match(page, /class="micromint-request-payment"/, 'and still carries the coins\u2019 Request-Payment');
  });

  it('follows the order and link value given; without the option only coins are offered', async () => {
    const other = await startRegisteredVendor(broker, { epoch: mint.epoch, schemes: ['payword', 'micromint'], linkValue: 3 });
    const plain = await startVendor({ broker: broker.url, epoch: mint.epoch });
    try {
      const res = await fetch(`${other.url}/club/`, { headers: { accept: 'application/json' } });
      const accepts = challengeOf(res).accepts;
      assert.deepEqual(
        accepts.map((a) => a.scheme),
        ['payword', 'micromint'],
      );
      assert.deepEqual(
        [readPaywordRequirements(accepts[0]!).linkValue, readPaywordRequirements(accepts[0]!).units],
        [3, 2],
        '4 mills at 3 a link: 2 links',
      );
      const coinsOnly = await fetch(`${plain.url}/club/`, { headers: { accept: 'application/json' } });
      assert.deepEqual(
        challengeOf(coinsOnly).accepts.map((a) => a.scheme),
        ['micromint'],
      );
    } finally {
      await other.close();
      await plain.close();
    }
  });
});

describe('paying link by link', () => {
  it('each request reveals the next link, is recorded before the content is served, and gets a receipt', async () => {
    const chain = await openFor('/api/quote');
    const url = `${vendor.url}/api/quote`;
    for (let i = 1; i <= 3; i++) {
      const p = chain.pay(url);
      assert.equal(
        decodePaymentPayload(p.header).payload.commitment !== undefined,
        i === 1,
        'the commitment comes with the first payment only',
      );
      const res = await pay(url, p.header);
      assert.equal(res.status, 200);
      const receipt = receiptOf(res);
      assert.deepEqual([receipt.success, receipt.payer, paywordOf(receipt)], [true, ALICE, { chainId: chain.chainId, index: i, units: 1 }]);
      const body = (await res.json()) as { paid: { paymentId: string; scheme: string; chain: unknown }; chain: { highestIndex: number } };
      assert.equal(body.paid.paymentId, receipt.transaction);
      assert.deepEqual([body.paid.scheme, body.paid.chain], ['payword', { chainId: chain.chainId, index: i, units: 1 }]);
      assert.equal(body.chain.highestIndex, i, 'the handler found the link recorded');
      assert.equal(res.headers.get('cache-control'), 'private, no-store');
    }
  });

  it('a price of l links is one payment revealing the link l ahead', async () => {
    const chain = await openFor('/articles/paid.html');
    const first = await pay(`${vendor.url}/articles/paid.html`, chain.pay(`${vendor.url}/articles/paid.html`, { units: 2 }).header);
    assert.equal(first.status, 200);
    assert.equal(await first.text(), '<h1>Paid article</h1>');
    assert.deepEqual(paywordOf(receiptOf(first)), { chainId: chain.chainId, index: 2, units: 2 });
    const club = await pay(`${vendor.url}/club/`, chain.pay(`${vendor.url}/club/`, { units: 4 }).header);
    assert.equal(club.status, 200);
    assert.deepEqual(paywordOf(receiptOf(club)), { chainId: chain.chainId, index: 6, units: 4 });
    assert.equal((await vendor.mm.store.paywordChain!(chain.chainId))?.highestIndex, 6);
  });
});

describe('restarts and instances', () => {
  it('restarted on the same SQLite file while the broker is down, the vendor offers payword and takes the next link without the commitment', async () => {
    const b = await startBroker({ epochs: [mint.epoch] });
    const dbPath = join(tmp.dir, 'restart.db');
    const first = await startRegisteredVendor(b, { epoch: mint.epoch, dbPath });
    let v: Vendor = first;
    try {
      const url = `${v.url}/api/quote`;
      const chain = await new ChainWallet(b, ALICE).open(await offerOf(url));
      assert.equal((await pay(url, chain.pay(url).header)).status, 200);
      const port = Number(new URL(v.url).port);
      await v.close();
      await b.close();
      v = await startVendor({ broker: b.url, apiKey: first.apiKey, epoch: mint.epoch, dbPath, port, schemes: ['micromint', 'payword'] });
      const challenge = await fetch(url, { headers: { accept: 'application/json' } });
      assert.deepEqual(
        challengeOf(challenge).accepts.map((a) => a.scheme),
        ['micromint', 'payword'],
        'the registration and the broker key were kept',
      );
      const next = chain.pay(url);
      assert.equal(decodePaymentPayload(next.header).payload.commitment, undefined);
      const res = await pay(url, next.header);
      assert.equal(res.status, 200);
      assert.deepEqual(paywordOf(receiptOf(res)), { chainId: chain.chainId, index: 2, units: 1 });
    } finally {
      await v.close();
    }
  });

  it('a fresh instance with the same key answers unknown-chain, records nothing, then takes the same payment with the commitment', async () => {
    const url = `${vendor.url}/api/quote`;
    const chain = await openFor('/api/quote');
    assert.equal((await pay(url, chain.pay(url).header)).status, 200);
    // A second instance of the same vendor (same origin and key) with a store of its own.
    const store = new MemoryVendorStore();
    await store.saveKey(KEY_NAMES.vendorKey, (await vendor.mm.store.loadKey!(KEY_NAMES.vendorKey))!);
    const logger = quietLogger();
    const mm = micromint({
      vendorId: vendor.url,
      broker: broker.url,
      apiKey: vendor.apiKey,
      schemes: ['payword'],
      epoch: mint.epoch,
      store,
      prices: PRICES,
      secret: 's'.repeat(32),
      logger,
    });
    const app = express();
    app.use(mm);
    app.get('/api/quote', (_req, res) => res.json({ ok: true }));
    const second = await listen(app);
    try {
      const next = chain.pay(url, { withCommitment: false });
      const unknown = await pay(`${second.url}/api/quote`, next.header);
      assert.equal(unknown.status, 402);
      assert.deepEqual(refusalOf(unknown), { error: 'unknown-chain', chainId: chain.chainId, reason: 'unknown-chain' });
      assert.equal((await store.stats()).chains, 0);
      const again = chain.pay(url, { withCommitment: true, index: next.index, keepIndex: true });
      const res = await pay(`${second.url}/api/quote`, again.header);
      assert.equal(res.status, 200, JSON.stringify(logger));
      assert.deepEqual(paywordOf(receiptOf(res)), { chainId: chain.chainId, index: 2, units: 1 });
    } finally {
      await second.close();
      await mm.close();
    }
  });
});

describe('two tabs paying from one chain at once', () => {
  const urls = () => ({ article: `${vendor.url}/articles/paid.html`, quote: `${vendor.url}/api/quote` });

  for (const order of ['the later range first', 'the earlier range first'] as const) {
    it(`both payments are served, ${order}`, async () => {
      const { article, quote } = urls();
      const chain = await openFor('/api/quote');
      // The wallet gives each tab its own range before either leaves: 1..2 for the article, 3 for the quote.
      const a = chain.pay(article, { units: 2, withCommitment: true });
      const b = chain.pay(quote, { withCommitment: true });
      const [firstUrl, first, secondUrl, second] = order === 'the later range first' ? [quote, b, article, a] : [article, a, quote, b];
      const r1 = await pay(firstUrl, first.header);
      const r2 = await pay(secondUrl, second.header);
      assert.deepEqual([r1.status, r2.status], [200, 200]);
      assert.deepEqual([paywordOf(receiptOf(r1)).index, paywordOf(receiptOf(r2)).index], [first.index, second.index]);
      assert.equal((await vendor.mm.store.paywordChain!(chain.chainId))?.highestIndex, 3);
    });
  }

  it('five tabs at once: every range is served once', async () => {
    const chain = await openFor('/api/quote');
    const before = await vendor.mm.store.stats();
    const headers = [1, 2, 3, 4, 5].map((i) => chain.pay(`${vendor.url}/api/feeds/f${i}`, { units: 2, withCommitment: true }));
    const answers = await Promise.all(headers.map((h, i) => pay(`${vendor.url}/api/feeds/f${i + 1}`, h.header)));
    assert.deepEqual(
      answers.map((r) => r.status),
      [200, 200, 200, 200, 200],
    );
    assert.equal((await vendor.mm.store.stats()).chainPayments, before.chainPayments + 5);
    assert.equal((await vendor.mm.store.paywordChain!(chain.chainId))?.highestIndex, 10);
  });

  it('one range paid for two URLs: the second is refused already-spent, logged, and names the highest index', async () => {
    const chain = await openFor('/api/quote');
    const first = chain.pay(`${vendor.url}/api/quote`);
    assert.equal((await pay(`${vendor.url}/api/quote`, first.header)).status, 200);
    const before = await vendor.mm.store.stats();
    const twice = chain.pay(`${vendor.url}/articles/cheap.html`, { index: first.index, keepIndex: true });
    const res = await pay(`${vendor.url}/articles/cheap.html`, twice.header);
    assert.equal(res.status, 402);
    assert.deepEqual(refusalOf(res), { error: 'already-spent', chainId: chain.chainId, reason: 'already-spent', highestIndex: 1 });
    const after = await vendor.mm.store.stats();
    assert.deepEqual([after.chainPayments, after.refusals], [before.chainPayments, before.refusals + 1]);
    assert.ok(vendor.logger.warnings.some((w) => w.includes(chain.chainId) && w.includes('already-spent')));
  });
});

describe('a link copied off one request', () => {
  it('sent for another URL first is refused bad-mac and takes nothing: the request it was made for is still served', async () => {
    const chain = await openFor('/api/quote');
    const meant = `${vendor.url}/articles/cheap.html`;
    const p = chain.pay(meant);
    const before = await vendor.mm.store.stats();
    const stolen = await pay(`${vendor.url}/api/quote`, p.header);
    assert.equal(stolen.status, 402);
    assert.deepEqual(refusalOf(stolen), { error: 'bad-mac', chainId: chain.chainId, reason: 'bad-mac' });
    const mid = await vendor.mm.store.stats();
    assert.deepEqual([mid.chains, mid.chainPayments, mid.refusals], [before.chains, before.chainPayments, before.refusals + 1]);
    assert.equal((await pay(meant, p.header)).status, 200);
  });

  it('sent as another method is refused bad-mac too', async () => {
    const chain = await openFor('/api/quote');
    const p = chain.pay(`${vendor.url}/api/quote`);
    const res = await fetch(`${vendor.url}/api/quote`, { method: 'HEAD', headers: { 'payment-signature': p.header } });
    assert.equal(res.status, 402);
    assert.equal(challengeOf(res).error, 'bad-mac');
  });
});

describe('retries and the replay window', () => {
  it('the same payment again is served as paid until the window ends, recorded once, and refused already-spent after it', async () => {
    let t = Date.now();
    const v = await startRegisteredVendor(broker, { epoch: mint.epoch, now: () => t });
    try {
      const url = `${v.url}/api/quote`;
      const chain = await openFor('/api/quote', v);
      const p = chain.pay(url);
      const first = await pay(url, p.header);
      assert.equal(first.status, 200);
      const mid = await v.mm.store.stats();
      t += DEFAULTS.replayWindowSeconds * 1000;
      const retry = await pay(url, p.header);
      assert.equal(retry.status, 200, 'at exactly the window the retry is still served');
      assert.equal(receiptOf(retry).transaction, receiptOf(first).transaction);
      assert.equal(((await retry.json()) as { paid: { replay: boolean } }).paid.replay, true);
      assert.deepEqual(await v.mm.store.stats(), mid, 'nothing recorded twice');
      t += 1;
      const late = await pay(url, p.header);
      assert.equal(late.status, 402);
      assert.deepEqual(refusalOf(late), { error: 'already-spent', chainId: chain.chainId, reason: 'already-spent', highestIndex: 1 });
      assert.equal((await v.mm.store.stats()).refusals, mid.refusals + 1);
      assert.ok(v.logger.warnings.some((w) => w.includes('after the replay window')));
    } finally {
      await v.close();
    }
  });
});

describe('retries after the terms moved on', () => {
  it('a retry of a payment made just before the chain expired, or before the price changed, is served as paid', async () => {
    let t = Date.now();
    let price = 1;
    const v = await startRegisteredVendor(broker, {
      epoch: mint.epoch,
      now: () => t,
      prices: (req) => (req.path === '/priced' ? price : undefined),
      routes: (app) => app.get('/priced', (_req, res) => res.send('priced')),
    });
    try {
      const url = `${v.url}/priced`;
      const expiresAt = Math.floor(Date.now() / 1000) + 120;
      const chain = await wallet.open(await offerOf(url), { expiresAt });
      const p = chain.pay(url);
      assert.equal((await pay(url, p.header)).status, 200);
      price = 2;
      const repriced = await pay(url, p.header);
      assert.equal(repriced.status, 200, 'the price changed, the recorded payment stands');
      assert.equal(receiptOf(repriced).success, true);
      t = expiresAt * 1000 + 1;
      const expired = await pay(url, p.header);
      assert.equal(expired.status, 200, 'the chain expired since, the recorded payment stands');
      const next = await pay(url, chain.pay(url, { units: 2 }).header);
      assert.equal(next.status, 402);
      assert.equal(challengeOf(next).error, 'expired', 'a new link of an expired chain is refused');
    } finally {
      await v.close();
    }
  });
});

describe('nothing taken', () => {
  it('a payword payment for a free URL is answered no_payment_required, releasing its range; nothing is recorded', async () => {
    const chain = await openFor('/api/quote');
    const before = await vendor.mm.store.stats();
    const p = chain.pay(`${vendor.url}/free.html`);
    const res = await fetch(`${vendor.url}/free.html`, { headers: { 'payment-signature': p.header } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<h1>Free article</h1>');
    const receipt = receiptOf(res);
    assert.deepEqual([receipt.success, receipt.errorReason, receipt.transaction, receipt.payer], [false, 'no_payment_required', '', ALICE]);
    assert.deepEqual(paywordOf(receipt), { chainId: chain.chainId, index: 1, units: 1, released: true });
    assert.deepEqual(await vendor.mm.store.stats(), before);
  });

  it('a page that fails (500) after the payment was recorded takes it back: not_served, and the range pays for the next request', async () => {
    const chain = await openFor('/boom');
    const p = chain.pay(`${vendor.url}/boom`);
    const res = await pay(`${vendor.url}/boom`, p.header, { accept: 'text/html' });
    assert.equal(res.status, 500);
    const receipt = receiptOf(res);
    assert.deepEqual([receipt.success, receipt.errorReason], [false, 'not_served']);
    assert.deepEqual(paywordOf(receipt), { chainId: chain.chainId, index: 1, units: 1, released: true });
    assert.equal(res.headers.getSetCookie().length, 0, 'no access cookie for a page not served');
    assert.equal((await vendor.mm.store.paywordChain!(chain.chainId))?.highestIndex, 0, 'the range is unclaimed again');
    // The wallet pays its next page with the released range (the same link, a new MAC).
    const reuse = chain.pay(`${vendor.url}/api/quote`, { index: p.index, keepIndex: true, withCommitment: false });
    const ok = await pay(`${vendor.url}/api/quote`, reuse.header);
    assert.equal(ok.status, 200);
    assert.deepEqual(paywordOf(receiptOf(ok)), { chainId: chain.chainId, index: 1, units: 1 });
    assert.ok(vendor.logger.warnings.some((w) => w.includes(`units 1..1 of chain ${chain.chainId}`) && w.includes('taken back')));
  });

  it('the vendor key is registered once per process and kept: a restart offers the same key', async () => {
    const key = await vendor.mm.store.loadKey!(KEY_NAMES.vendorKey);
    const offer = await offerOf(`${vendor.url}/api/quote`);
    assert.equal(readPaywordRequirements(offer).vendorKey, JSON.parse(key!).publicKey);
    assert.equal(broker.payword.vendorKeys.get(vendor.url), toBase64(readPaywordRequirements(offer).vendorKeyBytes));
  });
});
