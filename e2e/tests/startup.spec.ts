/**
 * The first paid page after the browser starts (issue 8): Chromium is started with the paid URL on
 * its command line, as `scripts/demo.sh` and a person's desktop shortcut do, so the page's 402
 * arrives while the wallet's service worker is still starting (on a fresh profile, before the
 * extension ever ran). The wallet must still pay it, or say the coins are short, and pay only once.
 *
 * These tests have their own shop, so its vendor log holds only their coins.
 */
import { launchOnto, launchWallet } from '../browser.ts';
import { buyCoins, expect, screenshot, setBroker, test, vendorLog, walletWorker, WalletPopup } from '../fixtures.ts';
import { startShop, tempDir, type Running } from '../servers.ts';

const PAID_2 = '/articles/sourdough-at-altitude.html';
const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';

let shop: Running;

test.beforeAll(async ({ broker }) => {
  shop = await startShop(broker.url);
});

test.afterAll(async () => {
  await shop?.stop();
});

test('launched onto a paid page with an empty wallet, the wallet says the coins are short', async () => {
  const chromium = await launchOnto(tempDir('profile-empty'), shop.url + PAID_2);
  try {
    const { page } = chromium;
    const notice = page.locator('#micromint-notice');
    await expect(notice).toHaveAttribute('data-kind', 'insufficient');
    await expect(notice).toContainText('This page needs 2 coins');
    await expect(notice).toContainText('Your wallet holds 0 coins');
    await screenshot(page, 'startup-insufficient');
    // Still the paywall: nothing was paid, nothing was sent.
    await expect(page.locator('article')).toHaveCount(0);
    expect(vendorLog(shop.dataDir)).toHaveLength(0);
  } finally {
    await chromium.close();
  }
});

test('launched onto a paid page with coins in the wallet, the wallet pays it once', async ({ broker }) => {
  const profile = tempDir('profile-coins');
  // A first session of the profile: the wallet learns its broker and gets coins; then the browser quits.
  let bought: number;
  {
    const context = await launchWallet(profile);
    try {
      const extensionId = new URL((await walletWorker(context)).url()).host;
      await setBroker(context, extensionId, broker.url);
      bought = await buyCoins(await context.newPage(), broker.url, 'early-riser@example.com');
      expect(bought).toBeGreaterThan(20);
      await (await WalletPopup.open(context, extensionId)).expectBalance(bought);
    } finally {
      await context.close();
    }
  }

  // The browser starts again, straight onto a paid page.
  const chromium = await launchOnto(profile, shop.url + PAID_2);
  try {
    const { page, context } = chromium;
    await expect(page.locator('article h1')).toHaveText('Notes on sourdough at altitude');
    await screenshot(page, 'startup-paid');
    const extensionId = new URL((await walletWorker(context)).url()).host;
    const wallet = await WalletPopup.open(context, extensionId);
    await wallet.expectPayment(shop.url + PAID_2, 'paid');
    await wallet.expectBalance(bought - 2);
    // Paid once: one payment in the wallet, two coins at the vendor, although both the network
    // path and the page's report could have acted on that 402.
    expect(await wallet.paymentsFor(shop.url + PAID_2)).toBe(1);
    expect(vendorLog(shop.dataDir).filter((c) => c.url.endsWith(PAID_2))).toHaveLength(2);

    // The worker that started late now pays as usual.
    await page.goto(shop.url + PAID_1, { waitUntil: 'commit' });
    await expect(page.locator('article h1')).toHaveText("The lighthouse keeper's ledger");
    await wallet.expectBalance(bought - 3);
    expect(vendorLog(shop.dataDir)).toHaveLength(3);
  } finally {
    await chromium.close();
  }
});
