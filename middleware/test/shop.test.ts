import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMicromintRequirements, readPaywordRequirements } from '@micromint/shared';
import { createShop } from '../examples/shop/server.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { ChainWallet, offerOf } from './chains.ts';
import { challengeOf, freePort, paymentHeader, quietLogger, receiptOf, tempDir } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';

let mint: Mint;
let broker: TestBroker;
const tmp = tempDir('mm-shop-');

before(async () => {
  mint = mintEpoch();
  broker = await startBroker({ epochs: [mint.epoch] });
});
after(async () => {
  await broker.close();
  tmp.cleanup();
});

describe('the demo shop', () => {
  it('registers at the broker, serves free pages, and prices articles and the API', async () => {
    const dataDir = join(tmp.dir, 'shop1');
    const logger = quietLogger();
    const shop = await createShop({ brokerUrl: broker.url, dataDir, logger });
    try {
      assert.match(shop.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(broker.vendors.get(shop.apiKey!), shop.url);
      const saved = JSON.parse(readFileSync(join(dataDir, 'vendor.json'), 'utf8')) as { vendorId: string; apiKey: string };
      assert.deepEqual(saved, { vendorId: shop.url, apiKey: shop.apiKey });

      const home = await fetch(shop.url + '/');
      assert.equal(home.status, 200);
      const html = await home.text();
      for (const link of [
        '/articles/letter-from-the-editor.html',
        '/articles/a-short-history-of-the-mill.html',
        '/articles/the-lighthouse-keepers-ledger.html',
        '/articles/sourdough-at-altitude.html',
        '/articles/the-cartographers-last-map.html',
        '/quote.html',
      ])
        assert.ok(html.includes(`href="${link}"`), link);
      assert.ok(!html.includes('href="/api/quote"'), 'the API is called by a page, not opened as raw JSON');
      assert.match(html, /PayWord chain/, 'the index page says chains are taken');
      // Prices come from the .mm files and the API's price rule, written the one way money is written.
      for (const text of [
        '<span class="badge paid" data-price="1" data-money="0.1¢">1 coin (0.1¢)</span>',
        '<span class="badge paid" data-price="2" data-money="0.2¢">2 coins (0.2¢)</span>',
        '<span class="badge premium" data-price="8" data-money="0.8¢">Premium: 8 coins (0.8¢)</span>',
      ])
        assert.ok(html.includes(text), text);
      assert.doesNotMatch(html, /data-price-of/);
      assert.equal(await (await fetch(shop.url + '/index.html')).text(), html);
      assert.equal((await fetch(shop.url + '/style.css')).status, 200);
      const icon = await fetch(shop.url + '/favicon.ico');
      assert.equal(icon.status, 200);
      assert.match(icon.headers.get('content-type') ?? '', /^image\//);
      assert.deepEqual([...new Uint8Array(await icon.arrayBuffer()).subarray(0, 4)], [0, 0, 1, 0], 'an ICO file');

      const quotePage = await fetch(shop.url + '/quote.html');
      assert.equal(quotePage.status, 200);
      const quoteHtml = await quotePage.text();
      assert.ok(quoteHtml.includes('<span class="badge paid" data-price="1" data-money="0.1¢">1 coin (0.1¢)</span>'));
      assert.match(quoteHtml, /<script src="\/quote\.js" defer><\/script>/);
      const script = await fetch(shop.url + '/quote.js');
      assert.equal(script.status, 200);
      assert.match(await script.text(), /fetch\('\/api\/quote'/);

      for (const free of ['/articles/letter-from-the-editor.html', '/articles/a-short-history-of-the-mill.html']) {
        const res = await fetch(shop.url + free);
        assert.equal(res.status, 200, free);
        assert.match(await res.text(), /<article>/);
      }
      const prices: [string, number][] = [
        ['/articles/the-lighthouse-keepers-ledger.html', 1],
        ['/articles/sourdough-at-altitude.html', 2],
        ['/articles/the-cartographers-last-map.html', 8],
        ['/api/quote', 1],
      ];
      for (const [path, price] of prices) {
        const res = await fetch(shop.url + path, { headers: { accept: 'application/json' } });
        assert.equal(res.status, 402, path);
        const pr = challengeOf(res);
        assert.deepEqual(readMicromintRequirements(pr.accepts[0]!), {
          price,
          broker: broker.url,
          epoch: mint.epoch.id,
          vendorId: shop.url,
        });
        // Chains beside the coins, at 1 mill a link.
        const chain = readPaywordRequirements(pr.accepts[1]!);
        assert.deepEqual(
          [pr.accepts.length, chain.linkValue, chain.units, chain.vendorKey],
          [2, 1, price, broker.payword.vendorKeys.get(shop.url)],
        );
        assert.ok(pr.resource.description, path);
        assert.equal(pr.resource.mimeType, path === '/api/quote' ? 'application/json' : 'text/html', path);
      }
      const paywall = await (await fetch(shop.url + '/articles/the-cartographers-last-map.html')).text();
      assert.match(paywall, /The cartographer&#39;s last map/);
      assert.match(paywall, /8 coins/);
      assert.equal((await fetch(shop.url + '/articles/sourdough-at-altitude.html.mm')).status, 404);
    } finally {
      await shop.close();
    }
  });

  it('sells a quote and an article, keeps the access window, and redeems the coins', async () => {
    const dataDir = join(tmp.dir, 'shop2');
    const shop = await createShop({ brokerUrl: broker.url, dataDir, logger: quietLogger(), accessWindowSeconds: 120 });
    const alice = userId(0xa11ce);
    const wallet = new Wallet(mint, alice, shop.url);
    try {
      const quoteUrl = `${shop.url}/api/quote`;
      const quote = await fetch(quoteUrl, {
        headers: {
          'payment-signature': paymentHeader({
            url: quoteUrl,
            vendorId: shop.url,
            broker: broker.url,
            epoch: mint.epoch,
            userId: alice,
            coins: wallet.take(1),
          }),
        },
      });
      assert.equal(quote.status, 200);
      // The answer is the quote alone; what was paid is in the receipt.
      const body = (await quote.json()) as { text: string; by: string };
      assert.deepEqual(Object.keys(body).sort(), ['by', 'text']);
      assert.ok(body.text.length > 10);
      assert.equal(receiptOf(quote).success, true);
      assert.equal((receiptOf(quote).extensions as { micromint: { coins: string[] } }).micromint.coins.length, 1);

      const url = `${shop.url}/articles/sourdough-at-altitude.html`;
      const article = await fetch(url, {
        headers: {
          'payment-signature': paymentHeader({
            url,
            vendorId: shop.url,
            broker: broker.url,
            epoch: mint.epoch,
            userId: alice,
            coins: wallet.take(2),
          }),
        },
      });
      assert.equal(article.status, 200);
      assert.match(await article.text(), /sourdough at altitude/i);
      assert.match(article.headers.getSetCookie()[0]!, /Max-Age=120/);
      assert.equal(article.headers.get('cache-control'), 'private, no-store');
      const cookie = article.headers.getSetCookie()[0]!.split(';')[0]!;
      assert.equal((await fetch(url, { headers: { cookie } })).status, 200);

      const report = await shop.middleware.redeem();
      assert.equal(report.credited, 3);
    } finally {
      await shop.close();
    }
  });

  it('sells an article for links of a PayWord chain and clears them with the coins', async () => {
    const shop = await createShop({ brokerUrl: broker.url, dataDir: join(tmp.dir, 'shop-chain'), logger: quietLogger() });
    try {
      const url = `${shop.url}/articles/sourdough-at-altitude.html`;
      const chain = await new ChainWallet(broker, userId(0xc4a1)).open(await offerOf(url));
      const res = await fetch(url, { headers: { 'payment-signature': chain.pay(url, { units: 2 }).header } });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /sourdough at altitude/i);
      assert.deepEqual((receiptOf(res).extensions as { payword: unknown }).payword, { chainId: chain.chainId, index: 2, units: 2 });
      const report = await shop.middleware.redeem();
      assert.deepEqual(
        report.chains.map((c) => [c.status, c.paidUnits, c.paidMills]),
        [['cleared', 2, 2]],
      );
    } finally {
      await shop.close();
    }
  });

  it('reuses the saved API key on restart at the same origin, and starts (with a warning) when the broker is down', async () => {
    const dataDir = join(tmp.dir, 'shop3');
    const port = await freePort();
    const first = await createShop({ brokerUrl: broker.url, dataDir, port, logger: quietLogger() });
    const key = first.apiKey;
    await first.close();
    const registered = broker.vendors.size;
    const second = await createShop({ brokerUrl: broker.url, dataDir, port, logger: quietLogger() });
    try {
      assert.equal(second.apiKey, key);
      assert.equal(broker.vendors.size, registered);
    } finally {
      await second.close();
    }

    const logger = quietLogger();
    const down = `http://127.0.0.1:${await freePort()}`;
    const offline = await createShop({ brokerUrl: down, dataDir: join(tmp.dir, 'shop4'), logger });
    try {
      assert.equal(offline.apiKey, undefined);
      assert.match(logger.warnings.join('\n'), /could not register/);
      assert.equal(existsSync(join(tmp.dir, 'shop4', 'vendor.json')), false);
      assert.equal((await fetch(offline.url + '/articles/letter-from-the-editor.html')).status, 200);
      assert.equal((await fetch(offline.url + '/articles/sourdough-at-altitude.html')).status, 503);
    } finally {
      await offline.close();
    }
  });
});
