/**
 * The broker's own pages in real Chromium:
 *
 * - the wallet page offers the zip the build wrote (the download is that file, byte for byte) and shows
 *   the install steps with their picture;
 * - the vendor dashboard, after a reader paid three pages with the wallet and the shop redeemed the
 *   coins: one sign-in, totals per page, the chart of earnings per day, the key masked, revealed and
 *   copied, and a session that lasts until the vendor signs out;
 * - the account page's complaint card holds its select, text box and button at every width;
 * - no page asks for anything that is not there (no 404: the favicon is served).
 *
 * Its own broker, shop (no access window: every visit is paid) and browser, so that the figures it
 * checks do not depend on other specs.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import { buyCoins, expect, screenshot, test, vendorApiKey, vendorCli, visitPaid, WalletPopup, walletProfile } from '../fixtures.ts';
import { startBroker, startShop, walletZipPath, type Running } from '../servers.ts';

const PAID_8 = '/articles/the-cartographers-last-map.html';
const PAID_2 = '/articles/sourdough-at-altitude.html';
const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';
const article = (p: Page) => p.locator('article h1');

test.describe("the broker's pages", () => {
  test.describe.configure({ mode: 'serial' });

  let broker: Running;
  let shop: Running;
  let context: BrowserContext;
  let page: Page;
  /** Every answer of 400 or more a broker page caused (its favicon included). */
  const failures: string[] = [];

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    broker = await startBroker();
    shop = await startShop(broker.url, { accessWindowSeconds: 0 });
    let wallet: WalletPopup;
    ({ context, wallet, page } = await walletProfile('profile-broker-pages', broker.url));
    page.on('response', (r) => {
      if (r.url().startsWith(broker.url) && r.status() >= 400) failures.push(`${r.status()} ${r.url()}`);
    });
    const bought = await buyCoins(page, broker.url, 'pages-reader@example.com', 2);
    await wallet.expectBalance(bought);
  });

  test.afterAll(async () => {
    await context?.close();
    await Promise.all([shop?.stop(), broker?.stop()]);
  });

  test('the wallet page offers the built zip, with its version and size, and the install steps with the picture', async () => {
    await page.goto(`${broker.url}/wallet`);
    const download = page.locator('#download');
    await expect(download).toHaveAttribute('data-offered', 'true');
    const zip = readFileSync(walletZipPath);
    await expect(download).toHaveAttribute('data-bytes', String(zip.length));
    const manifest = JSON.parse(readFileSync(new URL('../../dist/extension/manifest.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    await expect(page.locator('#wallet-version')).toContainText(manifest.version);
    await expect(page.locator('ol.install > li')).toHaveCount(8);
    await expect(page.locator('.install-figure svg')).toBeVisible();
    await expect(page.locator('.install-figure g.mark')).toHaveCount(4);
    await screenshot(page, 'broker-wallet-page');

    const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#wallet-download').click()]);
    expect(file.suggestedFilename()).toBe('micromint-wallet.zip');
    expect(readFileSync(await file.path()).equals(zip)).toBe(true);
  });

  test('the vendor signs in once and sees its earnings per page and per day, and can copy its key', async () => {
    // A reader pays three pages, some of them more than once (no access window): 3 x 2 + 2 x 1 + 8 coins.
    for (const path of [PAID_2, PAID_2, PAID_2, PAID_1, PAID_1]) await visitPaid(page, shop.url + path, article);
    await page.goto(shop.url + PAID_8, { waitUntil: 'commit' });
    await page.locator('#micromint-prompt [data-action="pay"]').click();
    await expect(article(page)).toBeVisible();
    const out = await vendorCli(shop.dataDir, 'redeem', broker.url);
    expect(out).toContain('Credited 16 coins');

    const apiKey = vendorApiKey(shop.dataDir);
    await page.goto(`${broker.url}/vendors/dashboard`);
    await page.locator('#dashboard-form input[name=apiKey]').fill(apiKey);
    await page.locator('#dashboard-form button[type=submit]').click();
    await expect(page.locator('#vendor-balance')).toHaveAttribute('data-mills', '16');
    const rows = page.locator('#pages tbody tr');
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(0)).toHaveAttribute('data-url', shop.url + PAID_8);
    await expect(rows.nth(0).locator('td.r').nth(0)).toHaveText('8');
    await expect(rows.nth(1)).toHaveAttribute('data-url', shop.url + PAID_2);
    await expect(rows.nth(1).locator('td.r').nth(1)).toHaveText('0.6¢');
    await expect(page.locator('#earnings-chart')).toHaveAttribute('data-total-mills', '16');
    await expect(page.locator('#earnings-chart g.day')).toHaveCount(30);
    await expect(page.locator('#earnings-chart g.day').last()).toHaveAttribute('data-mills', '16');
    await expect(page.locator('#vendor-api-key-masked')).toBeVisible();
    await expect(page.locator('#vendor-api-key')).toBeHidden();
    await screenshot(page, 'broker-vendor-dashboard');

    // The key: shown on request, and the copy button puts it on the clipboard.
    await page.locator('#vendor-key label[for=reveal-key]').click();
    await expect(page.locator('#vendor-api-key')).toHaveText(apiKey);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: broker.url });
    const copy = page.locator('#vendor-key button[data-copy]');
    await copy.click();
    await expect(copy).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(apiKey);

    // Signed in once: a later visit is the dashboard, until the vendor signs out.
    await page.goto(`${broker.url}/vendors/dashboard`);
    await expect(page.locator('#vendor-balance')).toBeVisible();
    await page.locator('#vendor-sign-out button').click();
    await expect(page.locator('#dashboard-form')).toBeVisible();
    await page.goto(`${broker.url}/vendors/dashboard`);
    await expect(page.locator('#dashboard-form')).toBeVisible();
  });

  test("the complaint card's select, text box and button stay inside the card at every width", async () => {
    // A site with a long name makes the select as wide as it gets.
    const res = await fetch(`${broker.url}/api/vendors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        origin: 'https://the-long-named-evening-gazette.example',
        name: 'The Evening Gazette of Long Names and Longer Titles',
      }),
    });
    expect(res.status).toBe(201);
    await page.goto(`${broker.url}/account`);
    for (const width of [1280, 800, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const card = await page.locator('#complaints').evaluate((el) => {
        const r = el.getBoundingClientRect();
        const s = getComputedStyle(el);
        return { left: r.left + parseFloat(s.paddingLeft), right: r.right - parseFloat(s.paddingRight) };
      });
      for (const part of ['select', 'textarea', 'button[type=submit]']) {
        const box = (await page.locator(`#complaint-form ${part}`).boundingBox())!;
        expect(box.x, `${part} at ${width} px`).toBeGreaterThanOrEqual(card.left - 0.5);
        expect(box.x + box.width, `${part} at ${width} px`).toBeLessThanOrEqual(card.right + 0.5);
      }
    }
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  test('no broker page asked for something missing: the favicon is there', async () => {
    for (const path of ['/', '/vendors']) await page.goto(broker.url + path);
    const icon = await page.request.get(`${broker.url}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    expect(failures).toEqual([]);
  });
});
