import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePaymentRequired,
  decodeRequestPayment,
  MICROMINT_MIME,
  micromintNetwork,
  readMicromintRequirements,
  type PaymentRequired,
} from '@micromint/shared';
import { startBroker, type TestBroker } from './broker.ts';
import { challengeOf, freePort, paymentHeader, receiptOf } from './harness.ts';
import { mintEpoch, userId, Wallet, type Mint } from './mint.ts';
import { startVendor, type Vendor } from './vendor.ts';
import { micromint } from '../src/index.ts';

let mint: Mint;
let broker: TestBroker;
let vendor: Vendor;

before(async () => {
  mint = mintEpoch();
  broker = await startBroker({ epochs: [mint.epoch] });
  vendor = await startVendor({
    broker: broker.url,
    description: (req) => (req.path === '/articles/paid.html' ? 'A paid article' : undefined),
  });
});
after(async () => {
  await vendor.close();
  await broker.close();
});

describe('the 402 challenge', () => {
  it('carries PAYMENT-REQUIRED with an absolute resource URL, no-store and CORS headers', async () => {
    const calls = broker.epochCalls;
    const res = await fetch(`${vendor.url}/articles/paid.html?ref=home`);
    assert.equal(res.status, 402);
    const pr = challengeOf(res);
    assert.equal(pr.x402Version, 2);
    assert.equal(pr.error, undefined);
    assert.deepEqual(pr.resource, {
      url: `${vendor.url}/articles/paid.html?ref=home`,
      description: 'A paid article',
      mimeType: 'text/html',
    });
    assert.equal(pr.accepts.length, 1);
    const req = pr.accepts[0]!;
    assert.equal(req.scheme, 'micromint');
    assert.equal(req.payTo, vendor.url);
    assert.equal(req.network, micromintNetwork(broker.url));
    assert.equal(req.maxTimeoutSeconds, 60);
    assert.deepEqual(readMicromintRequirements(req), { price: 2, broker: broker.url, epoch: mint.epoch.id, vendorId: vendor.url });
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('access-control-expose-headers'), 'PAYMENT-REQUIRED, PAYMENT-RESPONSE');
    assert.equal(res.headers.get('access-control-allow-headers'), 'PAYMENT-SIGNATURE');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('vary') ?? '', /Accept/);
    await res.body?.cancel();
    // The epoch was fetched once, on first need, and is cached after.
    await (await fetch(`${vendor.url}/articles/cheap.html`)).body?.cancel();
    assert.ok(broker.epochCalls <= calls + 1);
  });

  it('answers an HTML paywall by default: title, price as people read it, wallet hooks, a way back', async () => {
    const res = await fetch(`${vendor.url}/articles/paid.html`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(res.status, 402);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<title>Payment required: A paid article<\/title>/);
    assert.match(html, /<p class="mm-price" data-price="2">2 coins <small>\(0\.2¢\)<\/small><\/p>/);
    assert.doesNotMatch(html, /\$0\.00/);
    // The hooks the wallet extension relies on (docs/protocol.md, The paywall page).
    assert.ok(html.includes(`<a class="mm-button mm-get-wallet" href="${broker.url}/wallet">Get the MicroMint wallet</a>`));
    assert.ok(
      html.includes('<button type="button" class="mm-button mm-pay" data-micromint-pay data-price="2">Pay 2 coins (0.2¢)</button>'),
    );
    assert.ok(html.includes(`<a class="mm-back" href="/">← Back to ${new URL(vendor.url).host}</a>`));
    // Without the wallet's mark on <html> the button is hidden; with it, the button shows and the link hides.
    assert.match(html, /\.mm-pay, \.mm-has-wallet \{ display: none; \}/);
    assert.match(html, /html\[data-micromint-wallet\] \.mm-pay \{ display: inline-block; \}/);
    assert.match(html, /html\[data-micromint-wallet\] \.mm-get-wallet, html\[data-micromint-wallet\] \.mm-no-wallet \{ display: none; \}/);
    assert.doesNotMatch(html, /<html[^>]*data-micromint-wallet/);
    assert.match(html, /paid automatically/);
    // The Request-Payment message is in the page for wallets that read it.
    const msg = /<script type="application\/x-micromint" class="micromint-request-payment">([^<]*)<\/script>/.exec(html)?.[1];
    assert.ok(msg);
    assert.equal(decodeRequestPayment(msg).price, 2);
  });

  it('answers a Request-Payment message to Accept: application/x-micromint', async () => {
    const res = await fetch(`${vendor.url}/articles/paid.html`, { headers: { accept: MICROMINT_MIME } });
    assert.equal(res.status, 402);
    assert.equal(res.headers.get('content-type')?.split(';')[0], MICROMINT_MIME);
    assert.deepEqual(decodeRequestPayment(await res.text()), {
      url: `${vendor.url}/articles/paid.html`,
      price: 2,
      vendorId: vendor.url,
      broker: broker.url,
      epoch: mint.epoch.id,
      description: 'A paid article',
    });
  });

  it('answers the PaymentRequired JSON to Accept: application/json', async () => {
    const res = await fetch(`${vendor.url}/api/quote`, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 402);
    const body = (await res.json()) as PaymentRequired;
    assert.deepEqual(body, decodePaymentRequired(res.headers.get('payment-required')));
    assert.equal(body.accepts[0]!.amount, '1');
  });

  it('answers CORS preflights for paid URLs, allowing PAYMENT-SIGNATURE', async () => {
    const res = await fetch(`${vendor.url}/api/quote`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://example.test',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'payment-signature',
      },
    });
    assert.equal(res.status, 204);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /PAYMENT-SIGNATURE/);
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /PAYMENT-REQUIRED/);
  });

  it('uses a custom paywall renderer', async () => {
    const custom = await startVendor({
      broker: broker.url,
      paywall: (info) =>
        `<p>Pay ${info.price} (${info.money}) to ${info.vendorId} for ${info.title} at ${info.host}; ${info.walletUrl}</p>`,
    });
    try {
      const res = await fetch(`${custom.url}/articles/cheap.html`);
      assert.equal(res.status, 402);
      assert.equal(
        await res.text(),
        `<p>Pay 1 (0.1¢) to ${custom.url} for /articles/cheap.html at ${new URL(custom.url).host}; ${broker.url}/wallet</p>`,
      );
    } finally {
      await custom.close();
    }
  });
});

describe('resource.mimeType', () => {
  /** The mimeType of the 402 for `path` at `v`. */
  const mimeOf = async (v: Vendor, path: string): Promise<string | undefined> => {
    const res = await fetch(v.url + path, { headers: { accept: 'application/json' } });
    assert.equal(res.status, 402, path);
    await res.body?.cancel();
    return challengeOf(res).resource.mimeType;
  };

  for (const flavor of ['express5', 'express4'] as const) {
    it(`${flavor}: a .mm-priced file by its extension, a route by its price rule, a page otherwise`, async () => {
      const v = await startVendor({
        broker: broker.url,
        flavor,
        prices: [
          {
            '/api/quote': 1,
            '/api/typed': { price: 1, mimeType: 'application/json' },
            '/feeds/*': { price: 2, mimeType: 'application/rss+xml' },
          },
          (req) => (req.path === '/api/csv' ? { price: 3, mimeType: 'text/csv' } : undefined),
        ],
      });
      try {
        mkdirSync(join(v.root, 'data'), { recursive: true });
        for (const file of ['data/feed.json', 'data/map.png', 'data/notes.unknownext']) {
          writeFileSync(join(v.root, file), 'content');
          writeFileSync(join(v.root, `${file}.mm`), '1');
        }
        const got: Record<string, string | undefined> = {};
        for (const path of [
          '/articles/paid.html',
          '/club/',
          '/data/feed.json',
          '/data/map.png',
          '/data/notes.unknownext',
          '/api/quote',
          '/api/typed',
          '/feeds/world',
          '/api/csv',
        ])
          got[path] = await mimeOf(v, path);
        assert.deepEqual(got, {
          '/articles/paid.html': 'text/html',
          '/club/': 'text/html',
          '/data/feed.json': 'application/json',
          '/data/map.png': 'image/png',
          '/data/notes.unknownext': 'application/octet-stream',
          '/api/quote': 'text/html',
          '/api/typed': 'application/json',
          '/feeds/world': 'application/rss+xml',
          '/api/csv': 'text/csv',
        });
        // The same type in the header and in the JSON body, and what the static server then serves.
        const json = await fetch(`${v.url}/data/feed.json`, { headers: { accept: 'application/json' } });
        assert.equal(((await json.json()) as PaymentRequired).resource.mimeType, 'application/json');
      } finally {
        await v.close();
      }
    });
  }

  it('a media type that is not type/subtype is refused when the middleware is made, or answered 500 from a function', async () => {
    for (const mimeType of ['json', 'text/html; charset=utf-8', 'a/b/c', '', 7])
      assert.throws(
        () => micromint({ vendorId: 'http://127.0.0.1:4001', broker: broker.url, prices: { '/x': { price: 1, mimeType } as never } }),
        typeof mimeType === 'string' ? RangeError : TypeError,
        String(mimeType),
      );
    assert.throws(
      () =>
        micromint({ vendorId: 'http://127.0.0.1:4001', broker: broker.url, prices: { '/x': { price: 1, type: 'text/html' } as never } }),
      /unknown member "type"/,
    );
    const v = await startVendor({ broker: broker.url, prices: () => ({ price: 1, mimeType: 'not a type' }) });
    try {
      const res = await fetch(`${v.url}/anything`);
      assert.equal(res.status, 500);
      await res.body?.cancel();
      assert.match(v.logger.errors.join('\n'), /prices function.*mimeType/);
    } finally {
      await v.close();
    }
  });
});

describe('epochs from the broker', () => {
  it('an unreachable broker makes paid URLs 503 JSON with a clear message; free URLs are unaffected', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const v = await startVendor({ broker: down });
    try {
      const paid = await fetch(`${v.url}/articles/paid.html`);
      assert.equal(paid.status, 503);
      const body = (await paid.json()) as { error: string; message: string };
      assert.equal(body.error, 'broker_unavailable');
      assert.match(body.message, /cannot reach the MicroMint broker/);
      assert.match(body.message, new RegExp(down.replace(/[.:/]/g, '\\$&')));
      assert.equal(paid.headers.get('retry-after'), '30');
      const free = await fetch(`${v.url}/free.html`);
      assert.equal(free.status, 200);
      assert.equal(await free.text(), '<h1>Free article</h1>');
      assert.equal(v.logger.warnings.length, 1);
    } finally {
      await v.close();
    }
  });

  it('a broker with no current epoch is a 503 too', async () => {
    const empty = await startBroker({ epochs: [] });
    empty.epoch = undefined;
    const v = await startVendor({ broker: empty.url });
    try {
      const res = await fetch(`${v.url}/articles/paid.html`);
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: string }).error, 'broker_unavailable');
    } finally {
      await v.close();
      await empty.close();
    }
  });

  it('moves to the next epoch when the current one expires, and refuses coins of the expired one', async () => {
    const alice = userId(0xa11ce);
    // The vendor's clock, moved past the epoch's end: no real wait, nothing left to how long minting takes.
    let clock = Date.now();
    const soon = mintEpoch({ id: 'ending', balls: 6000, expiresAt: new Date(clock + 60_000).toISOString() });
    const next = mintEpoch({ id: 'next', balls: 6000 });
    const b = await startBroker({ epochs: [soon.epoch] });
    const v = await startVendor({ broker: b.url, epochRefreshSeconds: 0, now: () => clock });
    try {
      const first = await fetch(`${v.url}/articles/cheap.html`, { headers: { accept: 'application/json' } });
      assert.equal(readMicromintRequirements(challengeOf(first).accepts[0]!).epoch, 'ending');
      const oldCoins = new Wallet(soon, alice, v.url).take(1);
      clock = Date.parse(soon.epoch.expiresAt) + 50;
      b.epoch = next.epoch;
      const url = `${v.url}/articles/cheap.html`;
      const late = await fetch(url, {
        headers: {
          accept: 'application/json',
          'payment-signature': paymentHeader({ url, vendorId: v.url, broker: b.url, epoch: soon.epoch, userId: alice, coins: oldCoins }),
        },
      });
      assert.equal(late.status, 402);
      const pr = challengeOf(late);
      assert.equal(pr.error, 'expired');
      assert.equal(readMicromintRequirements(pr.accepts[0]!).epoch, 'next');
      const paid = await fetch(url, {
        headers: {
          'payment-signature': paymentHeader({
            url,
            vendorId: v.url,
            broker: b.url,
            epoch: next.epoch,
            userId: alice,
            coins: new Wallet(next, alice, v.url).take(1),
          }),
        },
      });
      assert.equal(paid.status, 200);
      assert.equal(receiptOf(paid).payer, alice);
      assert.equal((await v.mm.store.stats()).coins, 1);
    } finally {
      await v.close();
      await b.close();
    }
  });

  it('asks the broker again for an unknown epoch at most once per refresh interval', async () => {
    const alice = userId(0xa11ce);
    const other = mintEpoch({ id: 'rotated', balls: 6000 });
    const b = await startBroker({ epochs: [mint.epoch] });
    const v = await startVendor({ broker: b.url, epochRefreshSeconds: 3600 });
    try {
      await (await fetch(`${v.url}/articles/cheap.html`)).body?.cancel();
      assert.equal(b.epochCalls, 1);
      b.epoch = other.epoch; // the broker moved on; this vendor has not heard yet
      const url = `${v.url}/articles/cheap.html`;
      const coins = new Wallet(other, alice, v.url).take(2);
      const payWith = (coin: Uint8Array) =>
        fetch(url, {
          headers: {
            'payment-signature': paymentHeader({ url, vendorId: v.url, broker: b.url, epoch: other.epoch, userId: alice, coins: [coin] }),
          },
        });
      // Within the refresh interval the unknown epoch is not fetched: refused, no broker call.
      const res = await payWith(coins[0]!);
      assert.equal(res.status, 402);
      assert.equal(challengeOf(res).error, 'unknown-epoch');
      assert.equal(b.epochCalls, 1);
      await res.body?.cancel();
    } finally {
      await v.close();
    }
    // With a zero interval the same payment makes the vendor learn the new epoch and accept it.
    const v0 = await startVendor({ broker: b.url, epochRefreshSeconds: 0 });
    try {
      b.epoch = mint.epoch;
      await (await fetch(`${v0.url}/articles/cheap.html`)).body?.cancel();
      b.epoch = other.epoch;
      const url = `${v0.url}/articles/cheap.html`;
      const paid = await fetch(url, {
        headers: {
          'payment-signature': paymentHeader({
            url,
            vendorId: v0.url,
            broker: b.url,
            epoch: other.epoch,
            userId: alice,
            coins: new Wallet(other, alice, v0.url).take(1),
          }),
        },
      });
      assert.equal(paid.status, 200);
    } finally {
      await v0.close();
      await b.close();
    }
  });
});
