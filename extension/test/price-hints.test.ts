import assert from 'node:assert/strict';
import { test } from 'node:test';
import { micromintRequirements } from '@micromint/shared';
import { CatalogCache } from '../src/background/catalogs.ts';
import { HoverPrices } from '../src/background/hover-price.ts';
import { KnownVendors, MAX_KNOWN_VENDORS } from '../src/background/known-vendors.ts';
import { HOVER_ASKS_PER_MINUTE, PriceHints } from '../src/background/price-hints.ts';
import { DEFAULT_SCHEMES } from '../src/background/schemes/registry.ts';
import { SettingsStore } from '../src/background/settings.ts';
import { memoryArea } from '../src/background/storage-area.ts';
import { challengeHeader } from './helpers/fakes.ts';
import { BROKER, testEpoch, VENDOR } from './helpers/mint.ts';

const epoch = testEpoch();
const OTHER = 'http://127.0.0.1:4009';
const TAB = 4;
const offer = (price: number, vendorId = VENDOR) => micromintRequirements({ price, vendorId, broker: BROKER, epoch: epoch.id });

const catalogJson = {
  version: 1,
  vendorId: VENDOR,
  basePath: '',
  matching: { caseSensitive: false, strict: false },
  prices: [
    { path: '/cheap.html', match: 'exact', priceMills: 2 },
    { path: '/dear.html', match: 'exact', priceMills: 8 },
    { match: 'dynamic' },
  ],
  truncated: false,
  next: null,
};

async function setup(o: { threshold?: number; hints?: boolean } = {}) {
  const settings = new SettingsStore(memoryArea());
  await settings.update({ brokerUrl: BROKER, autopayThreshold: o.threshold ?? 5, ...(o.hints === false ? { showPriceHints: false } : {}) });
  const catalogsAsked: string[] = [];
  const catalogs = new CatalogCache(async (url) => {
    catalogsAsked.push(url);
    const ok = new URL(url).origin === VENDOR;
    return { status: ok ? 200 : 404, headers: new Headers(), text: async () => JSON.stringify(catalogJson) };
  });
  const probed: string[] = [];
  const hover = new HoverPrices(async (url) => {
    probed.push(url);
    return url.endsWith('/dyn.html')
      ? challengeHeader(url, [offer(9)])
      : url.endsWith('/thief.html')
        ? challengeHeader(url, [offer(9, OTHER)])
        : undefined;
  }, DEFAULT_SCHEMES);
  const vendors = new KnownVendors(memoryArea(), DEFAULT_SCHEMES);
  let now = 0;
  const hints = new PriceHints({ settings, catalogs, hover, vendors, now: () => now });
  return { hints, vendors, settings, catalogsAsked, probed, tick: (ms: number) => (now += ms) };
}

test('hints come from a declared catalog: dear links marked, cheap ones only priced, unknown ones left to hover', async () => {
  const { hints, catalogsAsked, probed } = await setup();
  const urls = [
    `${VENDOR}/cheap.html`,
    `${VENDOR}/dear.html#part`,
    `${VENDOR}/dyn.html`,
    'mailto:a@b.c',
    'http://example.com/x',
    `${OTHER}/a.html`,
  ];
  const answer = await hints.forLinks(TAB, `${VENDOR}/`, { urls, catalog: `${VENDOR}/.well-known/micromint` });
  assert.equal(answer.enabled, true);
  assert.deepEqual(answer.hints, [
    { url: `${VENDOR}/cheap.html`, mills: 2, dear: false },
    { url: `${VENDOR}/dear.html`, mills: 8, dear: true },
  ]);
  assert.deepEqual(answer.ask, [`${VENDOR}/dyn.html`]);
  // Only the page's own declared catalog was fetched: not the unknown sites it links to, and no link.
  assert.deepEqual(catalogsAsked, [`${VENDOR}/.well-known/micromint`]);
  assert.deepEqual(probed, []);
});

test('a site is asked only when the page declares its own catalog or the wallet met the site selling', async () => {
  const { hints, vendors, catalogsAsked } = await setup();
  const urls = [`${VENDOR}/dear.html`];
  // No declaration, unknown site: nothing fetched, nothing to ask.
  assert.deepEqual(await hints.forLinks(TAB, `${OTHER}/`, { urls }), { enabled: true, hints: [], ask: [] });
  // A page cannot declare another site's catalog.
  await hints.forLinks(TAB, `${OTHER}/`, { urls, catalog: `${VENDOR}/.well-known/micromint` });
  assert.deepEqual(catalogsAsked, []);
  // A 402 whose offer pays another origin does not make the site known; its own does.
  await vendors.noteChallenge(`${VENDOR}/x`, challengeHeader(`${VENDOR}/x`, [offer(1, OTHER)]));
  assert.equal(await vendors.has(VENDOR), false);
  await vendors.noteChallenge(`${VENDOR}/x`, challengeHeader(`${VENDOR}/x`, [offer(1)]));
  await vendors.noteChallenge(`${VENDOR}/y`, 'not base64 json');
  assert.equal(await vendors.has(VENDOR), true);
  const answer = await hints.forLinks(TAB, `${OTHER}/`, { urls });
  assert.deepEqual(answer.hints, [{ url: `${VENDOR}/dear.html`, mills: 8, dear: true }]);
  assert.deepEqual(catalogsAsked, [`${VENDOR}/.well-known/micromint`]);
  // A known site without a catalog: its links are asked about on hover.
  await vendors.noteChallenge(`${OTHER}/x`, challengeHeader(`${OTHER}/x`, [offer(1, OTHER)]));
  assert.deepEqual((await hints.forLinks(TAB, `${VENDOR}/`, { urls: [`${OTHER}/a.html`] })).ask, [`${OTHER}/a.html`]);
});

test('hover asks one link, only one the worker offered, within a rate; the price must be the site\u2019s own', async () => {
  const { hints, probed, tick } = await setup();
  await hints.forLinks(TAB, `${VENDOR}/`, {
    urls: [`${VENDOR}/dyn.html`, `${VENDOR}/thief.html`, `${VENDOR}/free.html`],
    catalog: `${VENDOR}/.well-known/micromint`,
  });
  assert.deepEqual(await hints.onHover(TAB, `${VENDOR}/dear.html`), {}, 'priced by the catalog: not offered for asking');
  assert.deepEqual(await hints.onHover(TAB + 1, `${VENDOR}/dyn.html`), {}, 'another tab was not offered it');
  assert.deepEqual(await hints.onHover(TAB, `${VENDOR}/dyn.html`), { hint: { url: `${VENDOR}/dyn.html`, mills: 9, dear: true } });
  assert.deepEqual(await hints.onHover(TAB, `${VENDOR}/dyn.html`), { hint: { url: `${VENDOR}/dyn.html`, mills: 9, dear: true } });
  assert.deepEqual(probed, [`${VENDOR}/dyn.html`], 'asked once, then kept');
  assert.deepEqual(await hints.onHover(TAB, `${VENDOR}/thief.html`), {}, 'a 402 asking to pay another site is no price');
  assert.deepEqual(await hints.onHover(TAB, `${VENDOR}/free.html`), {});
  for (let i = 0; i < HOVER_ASKS_PER_MINUTE; i++) await hints.onHover(TAB, `${VENDOR}/free.html`);
  const before = probed.length;
  await hints.onHover(TAB, `${VENDOR}/dyn.html`);
  assert.equal(probed.length, before, 'past the rate nothing is asked');
  tick(60_001);
  assert.deepEqual((await hints.onHover(TAB, `${VENDOR}/dyn.html`)).hint?.mills, 9);
});

test('hints off: nothing is fetched and nothing is asked', async () => {
  const { hints, catalogsAsked, probed } = await setup({ hints: false });
  const answer = await hints.forLinks(TAB, `${VENDOR}/`, { urls: [`${VENDOR}/dear.html`], catalog: `${VENDOR}/.well-known/micromint` });
  assert.deepEqual(answer, { enabled: false, hints: [], ask: [] });
  assert.deepEqual(await hints.onHover(TAB, `${VENDOR}/dyn.html`), {});
  assert.deepEqual(catalogsAsked, []);
  assert.deepEqual(probed, []);
});

test('the threshold decides what is dear, and the known sites are bounded', async () => {
  const { hints } = await setup({ threshold: 8 });
  const answer = await hints.forLinks(TAB, `${VENDOR}/`, { urls: [`${VENDOR}/dear.html`], catalog: `${VENDOR}/.well-known/micromint` });
  assert.deepEqual(answer.hints, [{ url: `${VENDOR}/dear.html`, mills: 8, dear: false }], 'at the threshold a link is cheap');

  const area = memoryArea();
  let now = 0;
  const vendors = new KnownVendors(area, DEFAULT_SCHEMES, () => now++);
  for (let i = 0; i <= MAX_KNOWN_VENDORS; i++) {
    const origin = `http://127.0.0.${(i % 250) + 1}:${5000 + Math.floor(i / 250)}`;
    await vendors.noteChallenge(`${origin}/x`, challengeHeader(`${origin}/x`, [offer(1, origin)]));
  }
  const stored = (await area.get('knownVendors')).knownVendors as Record<string, number>;
  assert.equal(Object.keys(stored).length, MAX_KNOWN_VENDORS);
  assert.equal(await new KnownVendors(area, DEFAULT_SCHEMES).has('http://127.0.0.1:5000'), false, 'the oldest went first');
});

test('hints are on by default, also for settings saved before they existed; the setting is a boolean', async () => {
  const area = memoryArea();
  await area.set({ autopayThreshold: 7 });
  const settings = new SettingsStore(area);
  assert.equal((await settings.get()).showPriceHints, true);
  await assert.rejects(
    settings.updateFromPage({ showPriceHints: 'no' as never }),
    (e: Error & { field?: string }) => e.field === 'showPriceHints',
  );
  assert.equal((await settings.updateFromPage({ showPriceHints: false })).showPriceHints, false);
});
