/**
 * Every kind of paid request, in real Chromium with the built wallet against a real broker, the
 * demo shop and a vendor made for it (e2e/apps/requests-vendor.ts, on two origins: the vendor on
 * 127.0.0.1, pages that call or embed it on localhost):
 *
 * - an `XMLHttpRequest` 402 is paid, and the page's own request object gets the paid response (its
 *   headers sent again, one `loadstart`, the states 1 to 4 once); a synchronous XHR is not paid;
 * - a cross-origin `fetch()` and XHR are paid (the middleware's CORS lets the payment through);
 * - paid pages inside iframes are paid (under the threshold silently, above it after the prompt in
 *   the frame) and their frames loaded again, the receipt in the top page;
 * - the page API: `micromint.price` of the page's own URL, `micromint.pay` approved in the prompt,
 *   the `micromint-paid` event; a price of another origin is refused;
 * - price hints on the shop's index from its catalog (dear links get a price chip, cheap ones only
 *   the attribute), none when the reader turned them off; and a price the catalog cannot tell is
 *   asked on hover, with one request, and never before.
 *
 * Its own broker, shop, vendor and browser.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { buyCoins, expect, screenshot, test, WalletPopup, walletProfile } from '../fixtures.ts';
import { freePort, startBroker, startServer, startShop, tempDir, type Running } from '../servers.ts';
import { API_PRICE, DYNAMIC_PRICE, EMBED_PRICE, FRAME_PRICE } from '../apps/requests-vendor.ts';

const MAP = '/articles/the-cartographers-last-map.html'; // 8 coins: above the default threshold of 5
const SOURDOUGH = '/articles/sourdough-at-altitude.html'; // 2
const LEDGER = '/articles/the-lighthouse-keepers-ledger.html'; // 1
const LETTER = '/articles/letter-from-the-editor.html'; // free

/** The vendor of e2e/apps/requests-vendor.ts; `url` is its vendor origin (127.0.0.1), `other` the same server as localhost. */
async function startRequestsVendor(brokerUrl: string): Promise<Running & { other: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const running = await startServer(
    'requests vendor',
    'e2e/apps/requests-vendor.ts',
    ['--port', String(port), '--broker', brokerUrl, '--data', tempDir('requests-vendor')],
    url,
    '/',
    '',
  );
  return { ...running, other: `http://localhost:${port}` };
}

/** How many requests the vendor got for `METHOD path`. */
async function requestsTo(vendor: string, key: string): Promise<number> {
  const counts = (await (await fetch(`${vendor}/__requests`)).json()) as Record<string, number>;
  return counts[key] ?? 0;
}

/** Turns the price hints on or off in the options page. */
async function setHints(context: BrowserContext, extensionId: string, on: boolean): Promise<void> {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await expect(options.locator('#settings')).toHaveAttribute('data-loaded', 'true');
  await options.locator('#showPriceHints').setChecked(on);
  await options.locator('#save').click();
  await expect(options.locator('#saved')).toContainText('Saved');
  await options.close();
}

/** The text of the price chip of `link` (inside its open shadow root). */
const chipOf = (link: ReturnType<Page['locator']>) => link.locator('span.micromint-price');

test.describe('every kind of paid request', () => {
  test.describe.configure({ mode: 'serial' });

  let broker: Running;
  let shop: Running;
  let vendor: Running & { other: string };
  let context: BrowserContext;
  let extensionId: string;
  let page: Page;
  let wallet: WalletPopup;

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    broker = await startBroker();
    [shop, vendor] = await Promise.all([startShop(broker.url), startRequestsVendor(broker.url)]);
    ({ context, extensionId, wallet, page } = await walletProfile('requests-profile', broker.url));
    const bought = await buyCoins(page, broker.url, 'requests-reader@example.com');
    await wallet.expectBalance(bought);
  });

  test.afterAll(async () => {
    await context?.close();
    await Promise.all([vendor?.stop(), shop?.stop(), broker?.stop()]);
  });

  test('an XMLHttpRequest 402 is paid and the page gets the paid response; a synchronous one is not paid', async () => {
    const before = await wallet.balance();
    await page.goto(`${vendor.url}/xhr.html`);
    const result = page.locator('#result');
    await expect(result).toHaveAttribute('data-status', '200');
    const body = JSON.parse((await result.textContent())!) as { paid: boolean; page: string | null };
    expect(body).toMatchObject({ paid: true, page: 'xhr-test' });
    expect(await result.getAttribute('data-receipt')).toBe('yes');
    // The page's listeners saw one request: one loadstart, each state once.
    expect(await result.getAttribute('data-loadstarts')).toBe('1');
    expect(await result.getAttribute('data-states')).toBe('1,2,3,4');
    await wallet.expectPayment(`${vendor.url}/api/xhr?n=1`, 'paid');
    await wallet.expectBalance(before - API_PRICE);

    await page.locator('#sync').click();
    await expect(page.locator('#sync-result')).toHaveAttribute('data-status', '402');
    expect(await wallet.paymentsFor(`${vendor.url}/api/xhr?n=sync`)).toBe(0);
    await wallet.expectBalance(before - API_PRICE);
  });

  test('a cross-origin fetch() and XHR are paid through the vendor\u2019s CORS', async () => {
    const before = await wallet.balance();
    await page.goto(`${vendor.other}/cors.html`);
    for (const [id, via] of [
      ['#fetch-result', 'fetch'],
      ['#xhr-result', 'xhr'],
    ] as const) {
      const result = page.locator(id);
      await expect(result).toHaveAttribute('data-status', '200');
      expect(JSON.parse((await result.textContent())!)).toMatchObject({ paid: true, via });
      await wallet.expectPayment(`${vendor.url}/api/cors?via=${via}`, 'paid');
    }
    await wallet.expectBalance(before - 2 * API_PRICE);
  });

  test('paid pages inside iframes are paid under the same rules, each frame loaded again, the receipt in the top page', async () => {
    const before = await wallet.balance();
    await page.goto(`${vendor.other}/frame.html`);
    // Under the threshold: paid without asking.
    await expect(page.frameLocator('#paid').locator('#paid-content')).toBeVisible();
    await wallet.expectPayment(`${vendor.url}/framed/one.html`, 'paid');
    await wallet.expectBalance(before - FRAME_PRICE);
    await expect(page.locator('#micromint-receipt')).toHaveAttribute('data-mills', String(FRAME_PRICE));
    // Above it: the frame asks, in the frame; the reader's yes there pays that frame.
    const dear = page.frameLocator('#dear');
    await expect(dear.locator('#micromint-prompt [data-action="pay"]')).toBeVisible();
    await screenshot(page, 'frame-prompt');
    await dear.locator('#micromint-prompt [data-action="pay"]').click();
    await expect(dear.locator('#paid-content')).toBeVisible();
    await wallet.expectPayment(`${vendor.url}/embedded/framed.html`, 'paid');
    await wallet.expectBalance(before - FRAME_PRICE - EMBED_PRICE);
    await expect(page.locator('#micromint-receipt')).toHaveAttribute('data-mills', String(EMBED_PRICE));
  });

  test('the page API: the price of its own URL, a payment the reader approves, the event; another origin refused', async () => {
    const before = await wallet.balance();
    const url = `${vendor.url}/embedded/map.html`;
    await page.goto(`${vendor.url}/embed.html`);
    await expect(page.locator('#price')).toHaveAttribute('data-price', JSON.stringify({ url, mills: EMBED_PRICE }));
    await expect(page.locator('#other')).toHaveAttribute('data-error', 'TypeError');
    // Above the threshold: the wallet asks, the reader pays.
    await page.locator('#buy').click();
    await page.locator('#micromint-prompt [data-action="pay"]').click();
    const slot = page.locator('#slot');
    await expect(slot).toHaveAttribute('data-paid', 'true');
    expect(await slot.getAttribute('data-mills')).toBe(String(EMBED_PRICE));
    await expect(slot.locator('#paid-content')).toBeVisible();
    await expect(page.locator('#event')).toHaveAttribute('data-detail', JSON.stringify({ url, mills: EMBED_PRICE, via: 'api' }));
    await wallet.expectPayment(url, 'paid');
    await wallet.expectBalance(before - EMBED_PRICE);
  });

  test('price hints on the shop\u2019s index come from its catalog; none when the reader turns them off', async () => {
    await page.goto(shop.url + '/');
    await expect(page.locator('link[rel="micromint-catalog"]')).toHaveAttribute('data-micromint-hints', 'on');
    const link = (path: string) => page.locator(`main a[href="${path}"]`);
    await expect(link(MAP)).toHaveAttribute('data-micromint-price', '8');
    await expect(chipOf(link(MAP))).toHaveAttribute('data-mills', '8');
    await expect(chipOf(link(MAP))).toHaveText('0.8¢');
    // Cheap links look like links: a known price, no marker.
    await expect(link(SOURDOUGH)).toHaveAttribute('data-micromint-price', '2');
    await expect(link(LEDGER)).toHaveAttribute('data-micromint-price', '1');
    await expect(chipOf(link(SOURDOUGH))).toHaveCount(0);
    await expect(chipOf(link(LEDGER))).toHaveCount(0);
    await expect(link(LETTER)).not.toHaveAttribute('data-micromint-price', /.*/);
    await screenshot(page, 'price-hints');

    await setHints(context, extensionId, false);
    await page.reload();
    await expect(page.locator('link[rel="micromint-catalog"]')).toHaveAttribute('data-micromint-hints', 'off');
    await expect(page.locator('[data-micromint-price]')).toHaveCount(0);
    await expect(page.locator('span.micromint-price')).toHaveCount(0);
    await setHints(context, extensionId, true);
  });

  test('a price the catalog cannot tell is asked when the reader rests on the link, and never before', async () => {
    await page.goto(`${vendor.url}/links.html`);
    await expect(page.locator('link[rel="micromint-catalog"]')).toHaveAttribute('data-micromint-hints', 'on');
    await expect(page.locator('#framed')).toHaveAttribute('data-micromint-price', String(FRAME_PRICE));
    await expect(chipOf(page.locator('#framed'))).toHaveCount(0);
    expect(await page.locator('#dyn').getAttribute('data-micromint-price')).toBeNull();
    expect(await requestsTo(vendor.url, 'HEAD /dyn/a.html')).toBe(0);

    await page.locator('#dyn').hover();
    await expect(chipOf(page.locator('#dyn'))).toHaveAttribute('data-mills', String(DYNAMIC_PRICE));
    expect(await requestsTo(vendor.url, 'HEAD /dyn/a.html')).toBe(1);
    // Nothing else was probed: the framed link's price came from the catalog.
    expect(await requestsTo(vendor.url, 'HEAD /framed/two.html')).toBe(0);
    expect(await requestsTo(vendor.url, 'GET /framed/two.html')).toBe(0);
  });
});
