/**
 * Returning unspent coins for credit. The broker takes returns of an epoch only once its coins can
 * no longer be redeemed (`returnsFrom` = expiry + redemption grace), so this spec has its own
 * broker whose epoch lives {@link EPOCH_SECONDS} seconds with no grace, and waits, on the broker's
 * own page, until returns open. Before that the page gives the date and no Send-Expired.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { buyCoins, expect, screenshot, test, WalletPopup, walletProfile } from '../fixtures.ts';
import { startBroker, type Running } from '../servers.ts';

/**
 * Lifetime of the epoch: long enough to start a browser and buy coins on a loaded machine (it
 * takes seconds), short enough not to make the suite slow. The test waits for the broker's state,
 * not for this many seconds.
 */
const EPOCH_SECONDS = 45;

let broker: Running;
let context: BrowserContext;
let page: Page;
let wallet: WalletPopup;
let bought = 0;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  broker = await startBroker({ validSeconds: EPOCH_SECONDS, redeemGraceSeconds: 0 });
  ({ context, wallet, page } = await walletProfile('profile-returns', broker.url));
});

test.afterAll(async () => {
  await context?.close();
  await broker?.stop();
});

test('before the epoch ends, the broker says when returns open and the coins stay in the wallet', async () => {
  bought = await buyCoins(page, broker.url, 'saver@example.com');
  expect(bought).toBeGreaterThan(20);
  await page.goto(`${broker.url}/account/return`);
  const opens = page.locator('.returns-schedule li[data-returns-from]');
  await expect(opens).toHaveCount(1);
  expect(Date.parse((await opens.getAttribute('data-returns-from'))!)).toBeGreaterThan(Date.now());
  await expect(page.locator('form[action="/account/return"] button')).toHaveCount(0);
  await wallet.expectBalance(bought);
});

test('once returns open, the reader returns the unspent coins to the broker for credit', async () => {
  test.setTimeout(EPOCH_SECONDS * 1000 + 120_000);
  await page.goto(`${broker.url}/account`);
  const before = Number(await page.locator('#balance').getAttribute('data-mills'));
  // Wait for the broker to open returns: its page offers the button from then on.
  const returnButton = page.locator('form[action="/account/return"] button');
  await expect(async () => {
    await page.goto(`${broker.url}/account/return`);
    await expect(returnButton).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: EPOCH_SECONDS * 1000 + 60_000 });
  await returnButton.click();
  const status = page.locator('.micromint-return-status');
  await expect(status).toHaveAttribute('data-state', 'returned');
  await expect(status).toContainText(`Returned ${bought} coins; credited ${bought} coins`);
  await screenshot(page, 'broker-after-return');
  await page.goto(`${broker.url}/account`);
  await expect(page.locator('#balance')).toHaveAttribute('data-mills', String(before + bought));
  // The wallet holds nothing of the epoch any more (expired, and its coins returned).
  await wallet.expectBalance(0);
});
