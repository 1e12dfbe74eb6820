/**
 * Playwright fixtures: a real broker (minted with the fast `test` parameters) and the real demo
 * shop on free loopback ports with fresh databases, and Debian's Chromium with the built
 * extension loaded from dist/extension. All are shared by the tests of one worker, in order.
 *
 * Also the helpers every spec uses: buying coins at the broker, reading the wallet through its
 * popup, the shop's vendor log, and screenshots that can never hang or fail a test.
 */
import { test as base, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { launchWallet } from './browser.ts';
import { repoRoot, startBroker, startShop, tempDir, type Running } from './servers.ts';

/** Screenshots a person can look at. */
export const outputDir = join(repoRoot, 'e2e', 'output');

interface Fixtures {
  broker: Running;
  shop: Running;
  /** Chromium with the wallet extension (a persistent profile shared by the worker's tests). */
  ctx: BrowserContext;
  serviceWorker: Worker;
  extensionId: string;
}

export const test = base.extend<{}, Fixtures>({
  broker: [
    async ({}, use) => {
      const broker = await startBroker();
      await use(broker);
      await broker.stop();
    },
    { scope: 'worker', timeout: 150_000 },
  ],
  shop: [
    async ({ broker }, use) => {
      const shop = await startShop(broker.url);
      await use(shop);
      await shop.stop();
    },
    { scope: 'worker', timeout: 150_000 },
  ],
  ctx: [
    async ({}, use) => {
      const context = await launchWallet(tempDir('profile'));
      await use(context);
      await context.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  serviceWorker: [
    async ({ ctx }, use) => {
      await use(await walletWorker(ctx));
    },
    { scope: 'worker' },
  ],
  extensionId: [
    async ({ serviceWorker }, use) => {
      await use(new URL(serviceWorker.url()).host);
    },
    { scope: 'worker' },
  ],
});

export const expect = test.expect;

/** The wallet's service worker in `context`, once it runs. */
export async function walletWorker(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
}

/** Longest a screenshot may take; it is a picture for people, never a reason to fail or stall. */
const SCREENSHOT_TIMEOUT_MS = 10_000;

/**
 * Saves a full-page screenshot under e2e/output/, or logs why not. It never fails the test and
 * never waits longer than {@link SCREENSHOT_TIMEOUT_MS} (plus a second): on a loaded machine a
 * screenshot of a page that is being navigated can wait forever for a frame, and a test must not
 * hang on a picture. Take it once the page shows what the test waited for.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(outputDir, { recursive: true });
  const shot = page.screenshot({
    path: join(outputDir, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
    caret: 'hide',
    timeout: SCREENSHOT_TIMEOUT_MS,
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), SCREENSHOT_TIMEOUT_MS + 1_000)));
  try {
    if ((await Promise.race([shot, late])) === 'late') console.warn(`screenshot ${name} skipped: it took longer than ${SCREENSHOT_TIMEOUT_MS} ms`);
  } catch (e) {
    console.warn(`screenshot ${name} skipped: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    clearTimeout(timer);
    shot.catch(() => undefined);
  }
}

/** Points the wallet at `brokerUrl` through its options page. */
export async function setBroker(context: BrowserContext, extensionId: string, brokerUrl: string): Promise<void> {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await options.locator('#brokerUrl').fill(brokerUrl);
  await options.locator('#save').click();
  await expect(options.locator('#saved')).toContainText('Saved');
  await options.close();
}

/**
 * Signs up at the broker as `email`, adds $5 of sandbox funds and buys `sets` superbin sets;
 * resolves with the coins the wallet stored (the broker page's status says so once the wallet
 * answered).
 */
export async function buyCoins(page: Page, brokerUrl: string, email: string, sets = 1): Promise<number> {
  await page.goto(`${brokerUrl}/signup`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill('correct horse battery staple');
  await page.locator('form button[type=submit]').click();
  await expect(page).toHaveURL(/\/account/);
  await page.locator('#funds-form input[name=amount]').fill('5.00');
  await page.locator('#funds-form button[type=submit]').click();
  await expect(page.locator('#balance')).toHaveAttribute('data-mills', '5000');
  await page.locator('#buy-form input[name=count]').fill(String(sets));
  await page.locator('#buy-form button[type=submit]').click();
  const status = page.locator('.micromint-status').first();
  await expect(status).toHaveAttribute('data-state', 'stored');
  return Number(/(\d+) coins/.exec((await status.textContent()) ?? '')?.[1]);
}

/** The wallet as its popup shows it (the popup is a tab on `chrome-extension://<id>/popup.html`). */
export class WalletPopup {
  private constructor(readonly page: Page) {}

  static async open(context: BrowserContext, extensionId: string): Promise<WalletPopup> {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/popup.html`);
    return new WalletPopup(page);
  }

  /** The balance in coins, read from a freshly rendered popup. */
  async balance(): Promise<number> {
    await this.page.reload();
    const shown = this.page.locator('#balance');
    await expect(shown).toHaveText(/^\s*\d+\s*$/);
    return Number((await shown.textContent())!.trim());
  }

  /** Waits until the popup shows `coins` (it does not refresh itself: each look reloads it). */
  async expectBalance(coins: number): Promise<void> {
    await expect.poll(() => this.balance(), { message: `the wallet holds ${coins} coins` }).toBe(coins);
  }

  /** The state of the newest payment for `url` (`pending`, `paid`, ...), or undefined. */
  async paymentState(url: string): Promise<string | undefined> {
    await this.page.reload();
    await expect(this.page.locator('#balance')).toHaveText(/^\s*\d+\s*$/);
    const row = this.page.locator(`#payments li[data-url="${url}"]`).first();
    return (await row.count()) ? ((await row.getAttribute('data-status')) ?? undefined) : undefined;
  }

  /** Waits until the newest payment for `url` is in `state`. */
  async expectPayment(url: string, state: string): Promise<void> {
    await expect.poll(() => this.paymentState(url), { message: `the payment for ${url} is ${state}` }).toBe(state);
  }

  /** How many payments the popup lists for `url`. */
  async paymentsFor(url: string): Promise<number> {
    await this.page.reload();
    await expect(this.page.locator('#balance')).toHaveText(/^\s*\d+\s*$/);
    return this.page.locator(`#payments li[data-url="${url}"]`).count();
  }
}

/** Coins the shop recorded (its vendor log), oldest first. */
export function vendorLog(shopDir: string): { url: string; coin: Buffer; epoch: string; user_id: string; paid_at: string }[] {
  const db = new Database(join(shopDir, 'micromint-vendor.db'), { readonly: true });
  try {
    return db.prepare('SELECT url, coin, epoch, user_id, paid_at FROM coins ORDER BY paid_at').all() as never;
  } finally {
    db.close();
  }
}
