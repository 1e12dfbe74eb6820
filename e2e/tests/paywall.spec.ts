/**
 * The paywall as a reader sees it, without and with the wallet, and the wallet's small signs:
 *
 * - without the extension, the demo shop's paywall offers "Get the MicroMint wallet" (the broker's
 *   wallet page) and a way back to the site's front page;
 * - with it, after declining the prompt, the paywall shows its own "Pay 8 coins" button (the wallet
 *   marked the page), and that button pays the page as "pay" in the prompt does;
 * - a payment shows a receipt toast that fades, unless the reader turned receipts off;
 * - the popup shows money by the one rule and keeps the epoch's parameters behind "Details";
 * - the wallet zip the build writes is dist/extension, byte for byte.
 *
 * Its own broker, shop (no access window: every visit is paid) and browser, so the states it looks
 * at do not depend on other specs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { decodeSettlementResponse, formatMoney, PAYMENT_RESPONSE_HEADER } from '@micromint/shared';
import { chromiumPath, extensionDir } from '../browser.ts';
import { buyCoins, expect, screenshot, test, vendorLog, visitPaid, WalletPopup, walletProfile } from '../fixtures.ts';
import { repoRoot, startBroker, startShop, type Running } from '../servers.ts';
import { listFiles } from '../../extension/build/zip.ts';

const PAID_8 = '/articles/the-cartographers-last-map.html';
const PAID_2 = '/articles/sourdough-at-altitude.html';
const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';
const TITLES: Record<string, string> = {
  [PAID_8]: "The cartographer's last map",
  [PAID_2]: 'Notes on sourdough at altitude',
  [PAID_1]: "The lighthouse keeper's ledger",
};

/** The paid article (the paywall repeats the title in its own h1, never in an article). */
const articleOf = (path: string) => (p: Page) => p.locator('article h1', { hasText: TITLES[path]! });

test.describe('the paywall and the wallet', () => {
  test.describe.configure({ mode: 'serial' });

  let broker: Running;
  let shop: Running;
  let context: BrowserContext;
  let extensionId: string;
  let page: Page;
  let wallet: WalletPopup;
  let bought = 0;
  let host = '';

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    broker = await startBroker();
    shop = await startShop(broker.url, { accessWindowSeconds: 0 });
    host = new URL(shop.url).host;
    ({ context, extensionId, wallet, page } = await walletProfile('paywall-profile', broker.url));
    bought = await buyCoins(page, broker.url, 'paywall-reader@example.com');
    await wallet.expectBalance(bought);
  });

  test.afterAll(async () => {
    await context?.close();
    await Promise.all([shop?.stop(), broker?.stop()]);
  });

  test('without the wallet the paywall offers the broker\u2019s wallet page and a way back to the site', async () => {
    let plain: Browser | undefined;
    try {
      plain = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
      const reader = await plain.newPage();
      const res = await reader.goto(shop.url + PAID_8);
      expect(res?.status()).toBe(402);
      const get = reader.locator('.mm-get-wallet');
      await expect(get).toBeVisible();
      await expect(get).toHaveText('Get the MicroMint wallet');
      expect(await get.getAttribute('href')).toBe(`${broker.url}/wallet`);
      await expect(reader.locator('[data-micromint-pay]')).toBeHidden();
      expect(await reader.locator('html').getAttribute('data-micromint-wallet')).toBeNull();
      const back = reader.locator('.mm-back');
      await expect(back).toBeVisible();
      expect(new URL((await back.getAttribute('href'))!, shop.url).href).toBe(`${shop.url}/`);
      await screenshot(reader, 'paywall-no-wallet');
    } finally {
      await plain?.close();
    }
  });

  test('with the wallet, after declining, the paywall shows "Pay 8 coins" and a way back; the button pays the page', async () => {
    await page.goto(shop.url + PAID_8, { waitUntil: 'commit' });
    const prompt = page.locator('#micromint-prompt');
    await expect(prompt).toContainText('8 coins (0.8¢)');
    await prompt.locator('[data-action="decline"]').click();
    await expect(prompt).toBeHidden();

    await expect(page.locator('html')).toHaveAttribute('data-micromint-wallet', 'installed');
    const pay = page.locator('button.mm-pay[data-micromint-pay]');
    await expect(pay).toBeVisible();
    await expect(pay).toHaveText('Pay 8 coins (0.8¢)');
    await expect(pay).toHaveAttribute('data-price', '8');
    await expect(page.locator('.mm-get-wallet')).toBeHidden();
    await expect(page.locator('.mm-back')).toBeVisible();
    await screenshot(page, 'paywall-declined-pay-button');
    expect(await wallet.balance()).toBe(bought);

    // The page's own script cannot press it for the reader.
    await pay.evaluate((b: HTMLButtonElement) => b.click());
    await expect(pay).toBeEnabled();

    // The reader's click: the wallet loads the page again with the payment, as after "pay" in the prompt.
    const answered = page.waitForResponse(
      async (r) => r.url() === shop.url + PAID_8 && (await r.headerValue(PAYMENT_RESPONSE_HEADER)) !== null,
      {
        timeout: 60_000,
      },
    );
    await pay.click();
    expect(decodeSettlementResponse(await (await answered).headerValue(PAYMENT_RESPONSE_HEADER)).success).toBe(true);
    await expect(articleOf(PAID_8)(page)).toBeVisible();
    await wallet.expectPayment(shop.url + PAID_8, 'paid');
    await wallet.expectBalance(bought - 8);
    expect(vendorLog(shop.dataDir).filter((c) => c.url.endsWith(PAID_8))).toHaveLength(8);
  });

  test('a silent payment shows a receipt that takes no focus, moves nothing on the page, and fades', async () => {
    await visitPaid(page, shop.url + PAID_2, articleOf(PAID_2));
    const receipt = page.locator('#micromint-receipt');
    await expect(receipt).toContainText(`Paid 2 coins (0.2¢) to ${host}`);
    await expect(receipt.locator('[role="status"]')).toHaveCount(1);
    await screenshot(page, 'receipt-toast');
    // Out of the page's flow and focus: fixed in the corner, clicks pass through, the focus stays where it was.
    const layout = () =>
      page.evaluate(() => {
        const host = document.getElementById('micromint-receipt')!;
        const style = getComputedStyle(host);
        return { height: document.documentElement.scrollHeight, position: style.position, pointer: style.pointerEvents };
      });
    const shown = await layout();
    expect(shown).toMatchObject({ position: 'fixed', pointer: 'none' });
    expect(await page.evaluate(() => document.activeElement === document.body)).toBe(true);
    await expect(receipt).toHaveAttribute('data-state', 'faded', { timeout: 30_000 });
    await expect(receipt).toBeHidden();
    expect((await layout()).height).toBe(shown.height);
    await wallet.expectBalance(bought - 10);
  });

  test('with "Show a receipt on the page after paying" turned off, a payment shows none', async () => {
    const options = await context.newPage();
    await options.goto(`chrome-extension://${extensionId}/options.html`);
    await expect(options.locator('#settings')).toHaveAttribute('data-loaded', 'true');
    const box = options.locator('#showReceipts');
    await expect(box).toBeChecked();
    await expect(options.locator('label[for="showReceipts"]')).toHaveText('Show a receipt on the page after paying');
    // The user id is the broker's: shown as text, with where it came from, not an input.
    await expect(options.locator('#userId')).toHaveText(/^u_[0-9a-f]+$/);
    await expect(options.locator('input#userId')).toHaveCount(0);
    await expect(options.locator('#userId-from')).toContainText(`Given by your broker, ${new URL(broker.url).host}`);
    await box.uncheck();
    await options.locator('#save').click();
    await expect(options.locator('#saved')).toHaveText('Saved');
    await options.reload();
    await expect(options.locator('#settings')).toHaveAttribute('data-loaded', 'true');
    await expect(options.locator('#showReceipts')).not.toBeChecked();
    await screenshot(options, 'options-receipts-off');
    await options.close();

    await visitPaid(page, shop.url + PAID_1, articleOf(PAID_1));
    await wallet.expectPayment(shop.url + PAID_1, 'paid');
    // The wallet answers a paid page within moments of its load (the test above saw the toast the
    // same way); this waits well past that before looking.
    await page.waitForLoadState('load');
    await page.waitForTimeout(3_000);
    await expect(page.locator('#micromint-receipt')).toHaveCount(0);
  });

  test('the popup shows money as people read it, the coins left and where; the jargon is behind "Details"', async () => {
    const popup = wallet.page;
    await popup.reload();
    await expect(popup.locator('#balance')).toHaveText(String(bought - 11));
    const total = popup.locator('#total');
    const mills = Number(await total.getAttribute('data-mills'));
    expect(mills).toBe(bought - 11);
    await expect(total).toHaveText(formatMoney(mills));
    await expect(popup.locator('#dollars')).toHaveText(formatMoney(bought - 11));
    await expect(popup.locator('#where')).toContainText(`Good at any site that takes MicroMint coins from ${new URL(broker.url).host}`);
    await expect(popup.locator('#threshold')).toHaveText('0.5¢');
    await expect(popup.locator(`#payments li[data-url="${shop.url + PAID_2}"] .price`).first()).toHaveText('0.2¢');
    // Epoch parameters and superbins: there, but folded away.
    await expect(popup.locator('#details')).not.toHaveAttribute('open');
    await expect(popup.locator('#epoch')).toBeHidden();
    await expect(popup.locator('#sets')).toBeHidden();
    await expect(popup.locator('body')).not.toContainText(/\bt\d+ u\d+ v\d+ k\d+\b/, { useInnerText: true });
    await screenshot(popup, 'popup-details');
    await popup.locator('#details > summary').click();
    await expect(popup.locator('#epoch')).toBeVisible();
    await expect(popup.locator('#epoch')).toContainText(/t\d+ u\d+ v\d+ k\d+/);
    await expect(popup.locator('#sets li')).toHaveCount(1);
  });

  test('the build wrote the wallet zip: dist/extension, byte for byte', () => {
    const files = unzipSync(readFileSync(join(repoRoot, 'dist', 'micromint-wallet.zip')));
    const paths = listFiles(extensionDir);
    expect(paths).toContain('manifest.json');
    expect(Object.keys(files).sort()).toEqual(paths);
    for (const path of paths) expect(Buffer.from(files[path]!).equals(readFileSync(join(extensionDir, path))), path).toBe(true);
  });
});
