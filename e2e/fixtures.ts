/**
 * Playwright fixtures: a real broker (minted with the fast `test` parameters) and the real demo
 * shop on free loopback ports with fresh databases, and Debian's Chromium with the built
 * extension loaded from dist/extension. All are shared by the tests of one worker, in order.
 *
 * Also the helpers every spec uses: buying coins at the broker, reading the wallet through its
 * popup, the shop's vendor log, and screenshots that can never hang or fail a test.
 */
import { test as base, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import {
  decodePaymentRequired,
  decodeSettlementResponse,
  PAYMENT_REQUIRED_HEADER,
  PAYMENT_RESPONSE_HEADER,
  type SettlementResponse,
} from '@micromint/shared';
import { launchWallet } from './browser.ts';
import { repoRoot, startBroker, startShop, tempDir, TSX_ARGS, type Running } from './servers.ts';

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

export const test = base.extend<object, Fixtures>({
  broker: [
    // Playwright reads a fixture's dependencies from its first parameter's pattern: none here.
    // eslint-disable-next-line no-empty-pattern
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
    // Playwright reads a fixture's dependencies from its first parameter's pattern: none here.
    // eslint-disable-next-line no-empty-pattern
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
    if ((await Promise.race([shot, late])) === 'late')
      console.warn(`screenshot ${name} skipped: it took longer than ${SCREENSHOT_TIMEOUT_MS} ms`);
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
  // The page fills the form from the stored settings when the worker answers: typing before that is overwritten
  // (under load the field once read both URLs run together, and the wallet then knew no broker page).
  await expect(options.locator('#settings')).toHaveAttribute('data-loaded', 'true');
  await options.locator('#brokerUrl').fill(brokerUrl);
  await options.locator('#save').click();
  await expect(options.locator('#saved')).toContainText('Saved');
  await expect(options.locator('#brokerUrl')).toHaveValue(brokerUrl);
  await options.close();
}

/** Signs up at the broker as `email`; the page is left on the new account's page. */
export async function signUp(page: Page, brokerUrl: string, email: string): Promise<void> {
  await page.goto(`${brokerUrl}/signup`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill('correct horse battery staple');
  await page.locator('form button[type=submit]').click();
  await expect(page).toHaveURL(/\/account/);
}

/** Adds $5 of sandbox funds on the account page `page` shows (a fresh account: the balance is then 5000 mills). */
export async function addFunds(page: Page): Promise<void> {
  await page.locator('#funds-form input[name=amount]').fill('5.00');
  await page.locator('#funds-form button[type=submit]').click();
  await expect(page.locator('#balance')).toHaveAttribute('data-mills', '5000');
}

/**
 * Signs up at the broker as `email`, adds $5 of sandbox funds and buys `sets` superbin sets;
 * resolves with the coins the wallet stored (the broker page's status says so once the wallet
 * answered).
 */
export async function buyCoins(page: Page, brokerUrl: string, email: string, sets = 1): Promise<number> {
  await signUp(page, brokerUrl, email);
  await addFunds(page);
  return buySets(page, sets);
}

/** Buys `sets` superbin sets on the account page `page` shows; resolves with the coins the wallet stored. */
export async function buySets(page: Page, sets = 1): Promise<number> {
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

  /** The open chains the popup lists for the site `vendorId`: links left and mills held in all (0 and 0 without any). */
  async chainsOf(vendorId: string): Promise<{ chains: number; linksLeft: number; heldMills: number }> {
    await this.page.reload();
    await expect(this.page.locator('#balance')).toHaveText(/^\s*\d+\s*$/);
    const site = this.page.locator(`#chains li.site[data-vendor-id="${vendorId}"]`);
    if (!(await site.count())) return { chains: 0, linksLeft: 0, heldMills: 0 };
    return {
      chains: await site.locator('.chain').count(),
      linksLeft: Number(await site.getAttribute('data-links-left')),
      heldMills: Number(await site.getAttribute('data-held-mills')),
    };
  }

  /** The total the popup shows across coins and chains, in mills. */
  async totalMills(): Promise<number> {
    await this.page.reload();
    await expect(this.page.locator('#balance')).toHaveText(/^\s*\d+\s*$/);
    return Number(await this.page.locator('#total').getAttribute('data-mills'));
  }

  /** How many payments the popup lists for `url`. */
  async paymentsFor(url: string): Promise<number> {
    await this.page.reload();
    await expect(this.page.locator('#balance')).toHaveText(/^\s*\d+\s*$/);
    return this.page.locator(`#payments li[data-url="${url}"]`).count();
  }
}

/** A browser with the built wallet on a profile of its own, pointed at a broker. */
export interface WalletProfile {
  context: BrowserContext;
  extensionId: string;
  /** The wallet's popup, open in a page of its own. */
  wallet: WalletPopup;
  /** A page for the test to browse with. */
  page: Page;
}

/**
 * Launches Chromium with the wallet on a fresh profile `name`, sets its broker to `brokerUrl`, and
 * opens the popup and a page. Close it with `profile.context.close()`.
 * @example
 * const reader = await walletProfile('profile-returns', broker.url);
 */
export async function walletProfile(name: string, brokerUrl: string): Promise<WalletProfile> {
  const context = await launchWallet(tempDir(name));
  const extensionId = new URL((await walletWorker(context)).url()).host;
  await setBroker(context, extensionId, brokerUrl);
  return { context, extensionId, wallet: await WalletPopup.open(context, extensionId), page: await context.newPage() };
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

/** The API key a vendor (the shop, or an e2e app) saved in its data directory. */
export const vendorApiKey = (dataDir: string): string =>
  (JSON.parse(readFileSync(join(dataDir, 'vendor.json'), 'utf8')) as { apiKey: string }).apiKey;

/** The vendor's account at the broker (`GET /api/vendors/me`). */
export async function vendorAccount(brokerUrl: string, apiKey: string) {
  const res = await fetch(`${brokerUrl}/api/vendors/me`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    balanceMills: number;
    redeemedCoins: number;
    doubleSpends: number;
    paywordKey: string | null;
    clearedChains: number;
    clearedLinks: number;
    clearedMills: number;
  };
}

const run = promisify(execFile);
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');

/** Runs the vendor CLI (`micromint-redeem`, from `middleware/src/bin.ts`) on a vendor's store; resolves with what it printed. */
export async function vendorCli(dataDir: string, command: 'redeem' | 'stats', brokerUrl?: string): Promise<string> {
  const args = [...TSX_ARGS, 'middleware/src/bin.ts', command, '--db', join(dataDir, 'micromint-vendor.db')];
  if (command === 'redeem') args.push('--broker', brokerUrl!, '--api-key', vendorApiKey(dataDir));
  const { stdout, stderr } = await run(tsx, args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return stdout + stderr;
}

/** A vendor's counts as its CLI prints them (`stats`): `payments`, `coins`, `payword chains`, `payword payments`, ... */
export async function vendorStats(dataDir: string): Promise<Record<string, number>> {
  const out = await vendorCli(dataDir, 'stats');
  return Object.fromEntries([...out.matchAll(/^\s*([a-z][a-z ]*?)\s{2,}(\d+)\s*$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** The schemes a paid URL offers now, in its order (from the 402's PAYMENT-REQUIRED). */
export async function offeredSchemes(url: string): Promise<string[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const header = res.headers.get(PAYMENT_REQUIRED_HEADER);
  if (res.status !== 402 || !header) return [];
  return decodePaymentRequired(header).accepts.map((a) => a.scheme);
}

/** A paid navigation's receipt, and the payword range it paid when a chain paid it. */
export interface PaidVisit {
  receipt: SettlementResponse;
  scheme: 'micromint' | 'payword';
  /** payword: the chain and the indices paid, `index - units + 1 .. index`. */
  chain?: { chainId: string; index: number; units: number };
}

/**
 * Opens `url` in `page` and waits for the answer that carries a successful PAYMENT-RESPONSE (the
 * wallet's retry after the 402), and for the page to show `ready` (a locator of the paid content).
 */
export async function visitPaid(page: Page, url: string, ready: (p: Page) => ReturnType<Page['locator']>): Promise<PaidVisit> {
  const answered = page.waitForResponse(async (r) => r.url() === url && (await r.headerValue(PAYMENT_RESPONSE_HEADER)) !== null, {
    timeout: 60_000,
  });
  await page.goto(url, { waitUntil: 'commit' });
  let response;
  try {
    response = await answered;
  } catch (e) {
    // Say what the page shows instead (the wallet's notice or prompt, or the paywall).
    const notice = await page
      .locator('#micromint-notice, #micromint-prompt')
      .first()
      .textContent({ timeout: 1_000 })
      .catch(() => null);
    throw new Error(
      `${(e as Error).message}\n${url} was not paid; the tab shows ${page.url()}${notice ? `, the wallet says: ${notice}` : ''}`,
      { cause: e },
    );
  }
  const receipt = decodeSettlementResponse(await response.headerValue(PAYMENT_RESPONSE_HEADER));
  expect(receipt.success, `the payment for ${url} was taken`).toBe(true);
  await expect(ready(page)).toBeVisible();
  const payword = receipt.extensions?.payword as PaidVisit['chain'] | undefined;
  return payword
    ? { receipt, scheme: 'payword', chain: { chainId: payword.chainId, index: payword.index, units: payword.units } }
    : { receipt, scheme: 'micromint' };
}

/**
 * Connects the wallet on the broker's account page `page` shows: waits for the wallet to fill in
 * its key, clicks the button (a person's click) and waits until the broker lists the key and the
 * wallet says it is connected. Resolves with the key.
 */
export async function connectWallet(page: Page, brokerUrl: string): Promise<string> {
  await page.goto(`${brokerUrl}/account`);
  const form = page.locator('form.micromint-connect-wallet');
  await expect(form).toHaveAttribute('data-micromint-state', 'filled');
  const key = await form.locator('input[name=walletKey]').inputValue();
  expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  await form.locator('button[type=submit]').click();
  await expect(page).toHaveURL(/\/account\?msg=wallet-connected/);
  await expect(page.locator(`#wallet-keys tr[data-wallet-key="${key}"]`)).toHaveCount(1);
  await expect(page.locator('form.micromint-connect-wallet')).toHaveAttribute('data-micromint-state', 'connected');
  return key;
}
