/**
 * Coins of an expired epoch offered for return in the popup (issue 10), without the reader going
 * to the broker's page: a broker of its own whose epoch lives {@link EPOCH_SECONDS} seconds with
 * no redemption grace (so returns open at expiry); the popup offers nothing while the coins are
 * good, then "N coins from an expired epoch can be returned for ...", and one click returns them
 * through the wallet's returns code to the broker's /api/credit, which credits the account.
 *
 * Why end to end and not a unit test against a broker app: what matters is the worker asking the
 * real broker's epoch API when returns open and posting a Request-Credit the real broker credits,
 * from the real popup. The wait is the epoch's short life (the test waits for the popup's state,
 * not for a number of seconds).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { formatMoney } from '@micromint/shared';
import { buyCoins, expect, screenshot, test, WalletPopup, walletProfile } from '../fixtures.ts';
import { startBroker, type Running } from '../servers.ts';

/** Long enough to start a browser and buy coins on a loaded machine, short enough to keep the suite quick. */
const EPOCH_SECONDS = 40;

let broker: Running;
let context: BrowserContext;
let page: Page;
let wallet: WalletPopup;
let bought = 0;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  broker = await startBroker({ validSeconds: EPOCH_SECONDS, redeemGraceSeconds: 0 });
  ({ context, wallet, page } = await walletProfile('profile-returns-notice', broker.url));
});

test.afterAll(async () => {
  await context?.close();
  await broker?.stop();
});

test('while the coins are good the popup offers no return', async () => {
  bought = await buyCoins(page, broker.url, 'returner@example.com');
  expect(bought).toBeGreaterThan(20);
  await wallet.expectBalance(bought);
  await expect(wallet.page.locator('#returns-notice')).toBeHidden();
});

test('once the epoch expired and returns opened, the popup offers the coins; one click returns them for credit', async () => {
  test.setTimeout(EPOCH_SECONDS * 1000 + 120_000);
  await page.goto(`${broker.url}/account`);
  const before = Number(await page.locator('#balance').getAttribute('data-mills'));
  const notice = wallet.page.locator('#returns-notice');
  await expect(async () => {
    await wallet.page.reload();
    await expect(notice).toHaveAttribute('data-state', 'offered', { timeout: 2_000 });
  }).toPass({ timeout: EPOCH_SECONDS * 1000 + 60_000 });
  await expect(notice).toHaveAttribute('data-coins', String(bought));
  await expect(wallet.page.locator('#returns-text')).toHaveText(
    `${bought} coins from an expired epoch can be returned for ${formatMoney(bought)}:`,
  );
  await screenshot(wallet.page, 'popup-returns-notice');

  await wallet.page.locator('#return-coins').click();
  await expect(notice).toHaveAttribute('data-state', 'returned');
  await expect(wallet.page.locator('#returns-text')).toHaveText(
    `Returned ${bought} coins: ${formatMoney(bought)} credited to your account at ${new URL(broker.url).host}.`,
  );
  await expect(wallet.page.locator('#return-coins')).toBeHidden();
  await screenshot(wallet.page, 'popup-returns-done');
  await page.goto(`${broker.url}/account`);
  await expect(page.locator('#balance')).toHaveAttribute('data-mills', String(before + bought));
  // Nothing left to offer.
  await wallet.page.reload();
  await expect(wallet.page.locator('#balance')).toHaveText(/^\s*\d+\s*$/);
  await expect(notice).toBeHidden();
});
