/**
 * The shop's price catalog: a price known before paying (the dry run), the 402 as the authority
 * when asked, and a request the catalog prices over a cap never sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CapExceededError } from '../src/errors.ts';
import { catalogPrice, fetchCatalog } from '../src/pay/catalog.ts';
import { quote } from '../src/pay/quote.ts';
import { wrapFetch, type Fetch } from '../src/pay/wrap-fetch.ts';
import { openWallet, type Wallet } from '../src/wallet/wallet.ts';
import { startWorld, tempDir, type World } from './world.ts';

describe('the price catalog', () => {
  let world: World;
  let wallet: Wallet;
  before(async () => {
    world = await startWorld();
    wallet = openWallet(tempDir('catalog'));
    wallet.importFunds(await world.buy(await world.reader('catalog@example.com'), 1));
  });
  after(async () => {
    wallet.close();
    await world.stop();
  });

  it('prices the per-call API and the articles, and cannot tell what it does not list', async () => {
    const catalog = (await fetchCatalog(fetch, world.shop.url))!;
    assert.equal(catalog.vendorId, world.shop.url);
    assert.deepEqual(catalogPrice(catalog, new URL(`${world.shop.url}/api/quote`)), {
      kind: 'priced',
      priceMills: 1,
      mimeType: 'application/json',
    });
    assert.equal(catalogPrice(catalog, new URL(`${world.shop.url}/articles/the-cartographers-last-map.html`)).kind, 'priced');
    assert.deepEqual(catalogPrice(catalog, new URL(`${world.shop.url}/about.html`)), { kind: 'unlisted' });
  });

  it('quotes from the catalog without a 402, and from the 402 when asked to probe; nothing is paid', async () => {
    const coins = wallet.balance().coins;
    const fromCatalog = await quote(fetch, wallet, `${world.shop.url}/articles/the-cartographers-last-map.html`);
    assert.deepEqual([fromCatalog.source, fromCatalog.mills, fromCatalog.withinCaps], ['catalog', 8, true]);
    assert.deepEqual(
      fromCatalog.options.map((o) => o.scheme),
      ['micromint', 'payword'],
    );
    const probed = await quote(fetch, wallet, `${world.shop.url}/api/quote`, { probe: true });
    assert.deepEqual([probed.source, probed.status, probed.mills, probed.scheme], ['402', 402, 1, 'micromint']);
    const free = await quote(fetch, wallet, `${world.shop.url}/`);
    assert.deepEqual([free.source, free.mills], ['free', 0]);
    const over = await quote(fetch, wallet, `${world.shop.url}/articles/the-cartographers-last-map.html`, { caps: { perRequest: 5 } });
    assert.equal(over.withinCaps, false);
    assert.ok(over.error instanceof CapExceededError);
    assert.equal(wallet.balance().coins, coins);
    assert.equal(wallet.payments().length, 0);
  });

  it('with catalog: true, a request priced over a cap is not sent at all', async () => {
    const sent: string[] = [];
    const counting: Fetch = (input, init) => {
      const r = new Request(input, init);
      sent.push(new URL(r.url).pathname);
      return fetch(r);
    };
    const paidFetch = wrapFetch(counting, { wallet, caps: { perRequest: 5 }, catalog: true });
    await assert.rejects(paidFetch(`${world.shop.url}/articles/the-cartographers-last-map.html`), CapExceededError);
    assert.deepEqual(sent, ['/.well-known/micromint']);
    const ok = await paidFetch(`${world.shop.url}/api/quote`);
    assert.equal(ok.status, 200);
    assert.deepEqual(sent.filter((p) => p === '/.well-known/micromint').length, 1, 'the catalog is read once a minute');
  });
});
