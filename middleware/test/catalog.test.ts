/**
 * The price catalog on real Express servers (5 and 4) over a real static root: what it lists is what
 * the 402 asks, in the order the middleware applies its rules; caching headers and 304; pages and the
 * bound on entries; the option that turns it off.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARAMETER_SETS, micromintNetwork, type EpochParams } from '@micromint/shared';
import { CATALOG_MAX_AGE_SECONDS, CATALOG_PAGE_SIZE, CATALOG_PATH, MAX_CATALOG_ENTRIES } from '../src/catalog.ts';
import { micromint } from '../src/index.ts';
import { challengeOf, quietLogger } from './harness.ts';
import { startVendor, type Vendor } from './vendor.ts';

const epoch: EpochParams = {
  id: 'catalog-test',
  key: new Uint8Array(randomBytes(32)),
  ...PARAMETER_SETS.test,
  fixed: 3,
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
};
const BROKER = 'http://127.0.0.1:9';

async function catalogOf(v: Vendor, query = '', init?: RequestInit): Promise<{ res: Response; json: any }> {
  const res = await fetch(`${v.url}${CATALOG_PATH}${query}`, init);
  const text = await res.text();
  return { res, json: text ? JSON.parse(text) : undefined };
}

describe('GET /.well-known/micromint', () => {
  let vendor: Vendor;
  before(async () => {
    vendor = await startVendor({ broker: BROKER, epoch });
  });
  after(() => vendor.close());

  it('lists the price rules in the order they apply, then the .mm files, and needs no broker', async () => {
    const { res, json } = await catalogOf(vendor);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json; charset=utf-8/);
    assert.deepEqual(json, {
      version: 1,
      vendorId: vendor.url,
      broker: BROKER,
      network: micromintNetwork(BROKER),
      schemes: [{ scheme: 'micromint' }],
      basePath: '',
      matching: { caseSensitive: false, strict: false },
      prices: [
        { path: '/api/quote', match: 'exact', priceMills: 1 },
        { path: '/api/feeds/*', match: 'glob', priceMills: 2 },
        { match: 'dynamic' },
        { path: '/articles/cheap.html', match: 'exact', priceMills: 1, source: 'file' },
        { path: '/articles/paid.html', match: 'exact', priceMills: 2, source: 'file' },
        { path: '/club/', match: 'exact', priceMills: 4, source: 'file' },
        { path: '/club/index.html', match: 'exact', priceMills: 4, source: 'file' },
      ],
      dynamic: true,
      offset: 0,
      total: 7,
      truncated: false,
      next: null,
    });
  });

  it('gives the price the 402 asks for every path it lists', async () => {
    const { json } = await catalogOf(vendor);
    const concrete = (path: string) => path.replace('*', 'any-name');
    for (const e of json.prices.filter((p: { match: string }) => p.match !== 'dynamic')) {
      const res = await fetch(vendor.url + concrete(e.path));
      await res.body?.cancel();
      assert.equal(res.status, 402, e.path);
      assert.equal(Number(challengeOf(res).accepts[0]!.amount), e.priceMills, e.path);
    }
  });

  it('is cacheable by anyone for a minute, answers 304 to its ETag, and HEAD', async () => {
    const { res } = await catalogOf(vendor);
    assert.equal(res.headers.get('cache-control'), `public, max-age=${CATALOG_MAX_AGE_SECONDS}`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const etag = res.headers.get('etag');
    assert.match(etag ?? '', /^"[A-Za-z0-9_-]{32}"$/);
    const again = await fetch(`${vendor.url}${CATALOG_PATH}`, { headers: { 'if-none-match': etag! } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const other = await fetch(`${vendor.url}${CATALOG_PATH}`, { headers: { 'if-none-match': '"something-else"' } });
    assert.equal(other.status, 200);
    await other.body?.cancel();
    const head = await fetch(`${vendor.url}${CATALOG_PATH}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('etag'), etag);
    assert.equal(await head.text(), '');
  });

  it('refuses a bad offset with a JSON 400 and leaves other methods to the site', async () => {
    for (const q of ['?offset=-1', '?offset=abc', `?offset=${MAX_CATALOG_ENTRIES + 1}`, '?offset=1&offset=2']) {
      const { res, json } = await catalogOf(vendor, q);
      assert.equal(res.status, 400, q);
      assert.equal(json.error, 'invalid_offset');
    }
    const post = await fetch(`${vendor.url}${CATALOG_PATH}`, { method: 'POST' });
    assert.equal(post.status, 404);
    await post.body?.cancel();
  });
});

describe('a large catalog', () => {
  let vendor: Vendor;
  const files = CATALOG_PAGE_SIZE + 200;
  before(async () => {
    vendor = await startVendor({ broker: BROKER, epoch, prices: { '/api/quote': 1 } });
    mkdirSync(join(vendor.root, 'many'));
    for (let i = 0; i < files; i++) {
      const name = `a${String(i).padStart(4, '0')}.html`;
      writeFileSync(join(vendor.root, 'many', name), 'x');
      writeFileSync(join(vendor.root, 'many', `${name}.mm`), String(1 + (i % 5)));
    }
  });
  after(() => vendor.close());

  it('comes in pages of 500 that link to the next', async () => {
    const total = files + 5; // the rule, the 4 entries of the site's own files
    const first = (await catalogOf(vendor)).json;
    assert.equal(first.total, total);
    assert.equal(first.prices.length, CATALOG_PAGE_SIZE);
    assert.equal(first.next, `${CATALOG_PATH}?offset=${CATALOG_PAGE_SIZE}`);
    const second = (await catalogOf(vendor, `?offset=${CATALOG_PAGE_SIZE}`)).json;
    assert.equal(second.prices.length, total - CATALOG_PAGE_SIZE);
    assert.equal(second.next, null);
    const paths = [...first.prices, ...second.prices].map((p: { path: string }) => p.path);
    assert.equal(new Set(paths).size, total, 'no entry twice, none left out');
    assert.ok(paths.includes('/many/a0699.html'));
    assert.deepEqual(
      second.prices.find((p: { path: string }) => p.path === '/many/a0699.html'),
      { path: '/many/a0699.html', match: 'exact', priceMills: 5, source: 'file' },
    );
  });
});

describe('bounds and the option', () => {
  it(`lists at most ${MAX_CATALOG_ENTRIES} entries, and says when it left some out`, async () => {
    const prices = Object.fromEntries(Array.from({ length: MAX_CATALOG_ENTRIES + 1 }, (_, i) => [`/item/${i}`, 1]));
    const vendor = await startVendor({ broker: BROKER, epoch, prices });
    try {
      const { json } = await catalogOf(vendor, `?offset=${MAX_CATALOG_ENTRIES - 1}`);
      assert.equal(json.total, MAX_CATALOG_ENTRIES);
      assert.equal(json.truncated, true);
      assert.deepEqual(json.prices, [{ path: `/item/${MAX_CATALOG_ENTRIES - 1}`, match: 'exact', priceMills: 1 }]);
      assert.equal(json.next, null);
    } finally {
      await vendor.close();
    }
  });

  it('is not served with catalog: false (the path is the site own), and the option is checked', async () => {
    const vendor = await startVendor({ broker: BROKER, epoch, catalog: false });
    try {
      const res = await fetch(`${vendor.url}${CATALOG_PATH}`);
      assert.equal(res.status, 404);
      await res.body?.cancel();
    } finally {
      await vendor.close();
    }
    const base = { vendorId: 'http://127.0.0.1:4001', broker: BROKER, epoch, dbPath: ':memory:', logger: quietLogger() };
    assert.throws(() => micromint({ ...base, catalog: 'yes' as unknown as boolean }), TypeError);
  });

  it('works on Express 4 and names PayWord with its link value', async () => {
    const vendor = await startVendor({
      broker: BROKER,
      epoch,
      flavor: 'express4',
      schemes: ['micromint', 'payword'],
      apiKey: 'k',
      linkValue: 2,
    });
    try {
      const { res, json } = await catalogOf(vendor);
      assert.equal(res.status, 200);
      assert.deepEqual(json.schemes, [{ scheme: 'micromint' }, { scheme: 'payword', linkValueMills: 2 }]);
      assert.equal(json.prices[0].path, '/api/quote');
    } finally {
      await vendor.close();
    }
  });
});
