import assert from 'node:assert/strict';
import { test } from 'node:test';
import { catalogPrice, CatalogError, readCatalogPage, type Catalog } from '../src/background/catalog-match.ts';
import { CatalogCache, keepSeconds, MAX_CATALOG_PAGES, NO_CATALOG_TTL_MS } from '../src/background/catalogs.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { VENDOR } from './helpers/mint.ts';

/** A catalog as the middleware serves it (docs/protocol.md section 15). */
const json = (prices: unknown[], extra: Record<string, unknown> = {}) => ({
  version: 1,
  vendorId: VENDOR,
  broker: 'http://127.0.0.1:4000',
  network: 'mmint:x',
  schemes: [{ scheme: 'micromint' }],
  basePath: '',
  matching: { caseSensitive: false, strict: false },
  prices,
  dynamic: prices.some((p) => (p as { match: string }).match === 'dynamic'),
  offset: 0,
  total: prices.length,
  truncated: false,
  next: null,
  ...extra,
});
const read = (prices: unknown[], extra: Record<string, unknown> = {}): Catalog => readCatalogPage(json(prices, extra), VENDOR);
const price = (c: Catalog, path: string) => catalogPrice(c, VENDOR + path);

test('catalog prices follow the site\u2019s rules: exact as routed, globs, .mm files as written, first match wins', () => {
  const c = read([
    { path: '/api/quote', match: 'exact', priceMills: 1, mimeType: 'application/json' },
    { path: '/articles/long-*', match: 'glob', priceMills: 9 },
    { path: '/articles/*', match: 'glob', priceMills: 2 },
    { path: '/Story.html', match: 'exact', priceMills: 4, source: 'file' },
    { path: '/dir/', match: 'exact', priceMills: 3, source: 'file' },
  ]);
  assert.deepEqual(price(c, '/api/quote'), { kind: 'priced', mills: 1 });
  // Express folds case and takes one trailing slash unless told otherwise: so does the catalog.
  assert.deepEqual(price(c, '/API/Quote/'), { kind: 'priced', mills: 1 });
  assert.deepEqual(price(c, '/articles/long-read.html'), { kind: 'priced', mills: 9 });
  assert.deepEqual(price(c, '/articles/short.html?x=1#top'), { kind: 'priced', mills: 2 });
  assert.deepEqual(price(c, '/Story.html'), { kind: 'priced', mills: 4 });
  assert.deepEqual(price(c, '/story.html'), { kind: 'free' }, 'a file compares as the file system does');
  assert.deepEqual(price(c, '/dir/'), { kind: 'priced', mills: 3 });
  assert.deepEqual(price(c, '/other.html'), { kind: 'free' });
  assert.deepEqual(catalogPrice(c, 'http://127.0.0.1:9999/api/quote'), { kind: 'unknown' }, 'another site');
  assert.deepEqual(price(c, '/%E0%A4%A'), { kind: 'unknown' }, 'a path that does not decode');
});

test('case-sensitive and strict routing, and a mount path', () => {
  const strict = read([{ path: '/a', match: 'exact', priceMills: 5 }], { matching: { caseSensitive: true, strict: true } });
  assert.deepEqual(price(strict, '/a'), { kind: 'priced', mills: 5 });
  assert.deepEqual(price(strict, '/A'), { kind: 'free' });
  assert.deepEqual(price(strict, '/a/'), { kind: 'free' });
  const mounted = read([{ path: '/paid/*', match: 'glob', priceMills: 6 }], { basePath: '/shop' });
  assert.deepEqual(price(mounted, '/shop/paid/x.html'), { kind: 'priced', mills: 6 });
  assert.deepEqual(price(mounted, '/paid/x.html'), { kind: 'free' }, 'outside the mount the middleware prices nothing');
  assert.deepEqual(price(mounted, '/shopping/paid/x.html'), { kind: 'free' });
});

test('what the catalog cannot tell is unknown: a price function before any match, missing pages, unreadable entries', () => {
  const dynamic = read([
    { path: '/fixed', match: 'exact', priceMills: 2 },
    { match: 'dynamic' },
    { path: '/later', match: 'exact', priceMills: 3 },
  ]);
  assert.deepEqual(price(dynamic, '/fixed'), { kind: 'priced', mills: 2 });
  assert.deepEqual(price(dynamic, '/later'), { kind: 'unknown' }, 'the function before it may price it');
  assert.deepEqual(price(dynamic, '/anything'), { kind: 'unknown' });
  const truncated = read([{ path: '/a', match: 'exact', priceMills: 2 }], { truncated: true });
  assert.deepEqual(price(truncated, '/b'), { kind: 'unknown' });
  const odd = read([
    { path: '/x', match: 'regex', priceMills: 2 },
    { path: '/y', match: 'exact', priceMills: 1 },
  ]);
  assert.deepEqual(price(odd, '/y'), { kind: 'unknown' }, 'an entry the wallet cannot read may price what follows');
  const badPrice = read([{ path: '/z', match: 'exact', priceMills: 1001 }]);
  assert.deepEqual(price(badPrice, '/z'), { kind: 'unknown' }, 'a price no payment can carry is not shown');
  assert.deepEqual(price(badPrice, '/other'), { kind: 'unknown' });
});

test('a catalog that is not version 1, not of its site, or without prices is refused', () => {
  assert.throws(() => readCatalogPage({ ...json([]), version: 2 }, VENDOR), CatalogError);
  assert.throws(() => readCatalogPage(json([]), 'http://127.0.0.1:9999'), CatalogError);
  assert.throws(() => readCatalogPage({ ...json([]), prices: 'all' }, VENDOR), CatalogError);
  assert.throws(() => readCatalogPage('<html>', VENDOR), CatalogError);
});

/** A fake site serving catalog pages; counts requests. */
function site(pages: Record<string, { status?: number; body?: unknown; headers?: Record<string, string> }>) {
  const asked: { url: string; init: RequestInit }[] = [];
  const fetchFn = async (url: string, init: RequestInit) => {
    asked.push({ url, init });
    const p = pages[new URL(url).pathname + new URL(url).search];
    const headers = new Headers(p?.headers ?? {});
    const status = p ? (p.status ?? 200) : 404;
    if (status === 200 && (init.headers as Record<string, string>)['if-none-match'] === headers.get('etag') && headers.get('etag'))
      return { status: 304, headers, text: async () => '' };
    return { status, headers, text: async () => (typeof p?.body === 'string' ? p.body : JSON.stringify(p?.body ?? {})) };
  };
  return { fetchFn, asked };
}

test('a catalog is fetched once per origin while its max-age lasts, without credentials, then revalidated', async () => {
  let now = 1_000_000;
  const { fetchFn, asked } = site({
    '/.well-known/micromint': {
      body: json([{ path: '/a', match: 'exact', priceMills: 7 }]),
      headers: { 'cache-control': 'public, max-age=120', etag: '"v1"' },
    },
  });
  const area = memoryArea();
  const cache = new CatalogCache(fetchFn, area, () => now);
  const [one, two] = await Promise.all([cache.get(VENDOR), cache.get(VENDOR)]);
  assert.equal(asked.length, 1, 'two pages at once: one request');
  assert.equal(asked[0]!.init.credentials, 'omit');
  assert.deepEqual(price(one!, '/a'), { kind: 'priced', mills: 7 });
  assert.equal(one, two);
  now += 119_000;
  await cache.get(VENDOR);
  assert.equal(asked.length, 1, 'within max-age');
  // A worker restarted meanwhile finds it in storage.session.
  const restarted = new CatalogCache(fetchFn, area, () => now);
  assert.deepEqual(price((await restarted.get(VENDOR))!, '/a'), { kind: 'priced', mills: 7 });
  assert.equal(asked.length, 1);
  now += 2_000;
  assert.deepEqual(price((await cache.get(VENDOR))!, '/a'), { kind: 'priced', mills: 7 });
  assert.equal(asked.length, 2);
  assert.equal((asked[1]!.init.headers as Record<string, string>)['if-none-match'], '"v1"', 'revalidated with its ETag');
});

test('a site without a catalog is asked again only after an hour; pages are joined up to the bound', async () => {
  let now = 0;
  const none = site({});
  const cache = new CatalogCache(none.fetchFn, undefined, () => now);
  assert.equal(await cache.get(VENDOR), undefined);
  now += NO_CATALOG_TTL_MS - 1;
  assert.equal(await cache.get(VENDOR), undefined);
  assert.equal(none.asked.length, 1);
  now += 2;
  await cache.get(VENDOR);
  assert.equal(none.asked.length, 2);

  const pages: Parameters<typeof site>[0] = {};
  for (let i = 0; i <= MAX_CATALOG_PAGES; i++) {
    const next = `/.well-known/micromint?offset=${i + 1}`;
    pages[i === 0 ? '/.well-known/micromint' : `/.well-known/micromint?offset=${i}`] = {
      body: json([{ path: `/p${i}`, match: 'exact', priceMills: i + 1 }], { offset: i, next }),
    };
  }
  const many = site(pages);
  const joined = (await new CatalogCache(many.fetchFn).get(VENDOR))!;
  assert.equal(many.asked.length, MAX_CATALOG_PAGES);
  assert.deepEqual(price(joined, `/p${MAX_CATALOG_PAGES - 1}`), { kind: 'priced', mills: MAX_CATALOG_PAGES });
  assert.deepEqual(price(joined, `/p${MAX_CATALOG_PAGES}`), { kind: 'unknown' }, 'a page not read: unknown, not free');

  const foreign = site({ '/.well-known/micromint': { body: { ...json([]), vendorId: 'http://evil.example' } } });
  assert.equal(await new CatalogCache(foreign.fetchFn).get(VENDOR), undefined);
  const notJson = site({ '/.well-known/micromint': { body: '<html>' } });
  assert.equal(await new CatalogCache(notJson.fetchFn).get(VENDOR), undefined);
});

test('max-age is kept within bounds', () => {
  assert.equal(keepSeconds('public, max-age=60'), 60);
  assert.equal(keepSeconds('max-age=0'), 60);
  assert.equal(keepSeconds('max-age=99999999'), 86_400);
  assert.equal(keepSeconds(null), 60);
});
