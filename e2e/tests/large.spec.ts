/**
 * A payment too large for a header: 200 coins do not fit the 8 KiB PAYMENT-SIGNATURE limit, so the
 * wallet POSTs them as a MicroMint-1.0 Payment message to the page's URL and then loads the page,
 * which the vendor's access cookie opens. A vendor answers such a header with 400, so a paid page
 * here is proof the body went.
 */
import type { BrowserContext } from '@playwright/test';
import { launchWallet } from '../browser.ts';
import { buyCoins, expect, screenshot, setBroker, test, vendorLog, walletWorker, WalletPopup } from '../fixtures.ts';
import { startBigVendor, tempDir, type Running } from '../servers.ts';
import { BIG_PATH, BIG_PRICE, BIG_TITLE } from '../apps/big-vendor.ts';

let vendor: Running;
let context: BrowserContext;

test.beforeAll(async ({ broker }) => {
  vendor = await startBigVendor(broker.url);
  context = await launchWallet(tempDir('profile-large'));
});

test.afterAll(async () => {
  await context?.close();
  await vendor?.stop();
});

test(`a page of ${BIG_PRICE} coins is paid in the body of a POST once the reader says yes`, async ({ broker }) => {
  const extensionId = new URL((await walletWorker(context)).url()).host;
  await setBroker(context, extensionId, broker.url);
  const page = await context.newPage();
  // Ten sets make well over 200 coins for one vendor (about 40 each with the test parameters).
  const bought = await buyCoins(page, broker.url, 'big-spender@example.com', 10);
  const wallet = await WalletPopup.open(context, extensionId);
  await wallet.expectBalance(bought);

  const url = vendor.url + BIG_PATH;
  await page.goto(url, { waitUntil: 'commit' });
  const prompt = page.locator('#micromint-prompt');
  await expect(prompt).toContainText(`${BIG_PRICE} coins`);
  await prompt.locator('[data-action="pay"]').click();
  await expect(page.locator('article h1')).toHaveText(BIG_TITLE);
  await screenshot(page, 'large-payment-paid');
  await wallet.expectPayment(url, 'paid');
  await wallet.expectBalance(bought - BIG_PRICE);
  const log = vendorLog(vendor.dataDir);
  expect(log).toHaveLength(BIG_PRICE);
  expect(new Set(log.map((c) => c.coin.toString('hex'))).size).toBe(BIG_PRICE);

  // The access cookie the POST's answer set keeps the page open without paying again.
  const again = await page.reload();
  expect(again?.status()).toBe(200);
  await expect(page.locator('article h1')).toHaveText(BIG_TITLE);
  expect(await wallet.paymentsFor(url)).toBe(1);
  expect(vendorLog(vendor.dataDir)).toHaveLength(BIG_PRICE);
});
