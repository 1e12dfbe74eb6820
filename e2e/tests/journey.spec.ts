/**
 * The whole system, end to end, in real Chromium: buy coins on the broker page, pay for pages with
 * the extension, redeem at the broker. One journey, in order; each step builds on the last.
 *
 * Every wait is on a state: a paid page is recognised by its article (the paywall repeats the
 * title), the wallet by its popup, the vendor by its log. A paid navigation is started with
 * `waitUntil: 'commit'` because the wallet navigates the tab again while the paywall loads.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { encodeHeader, micromintPayload, PAYMENT_SIGNATURE_HEADER, toBase64 } from '@micromint/shared';
import { buyCoins, expect, screenshot, setBroker, test, vendorLog, WalletPopup } from '../fixtures.ts';
import { repoRoot } from '../servers.ts';

test.describe.configure({ mode: 'serial' });

const FREE = '/articles/a-short-history-of-the-mill.html';
const PAID_2 = '/articles/sourdough-at-altitude.html';
const PAID_8 = '/articles/the-cartographers-last-map.html';
const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';
const API_1 = '/api/quote';

let page: Page;
let wallet: WalletPopup;
let bought = 0;

/** The article itself (not the paywall, which shows the same title in its own h1). */
const article = (p: Page) => p.locator('article h1');

const vendorKey = (shopDir: string): string => JSON.parse(readFileSync(join(shopDir, 'vendor.json'), 'utf8')).apiKey;

async function vendorAccount(brokerUrl: string, apiKey: string) {
  const res = await fetch(`${brokerUrl}/api/vendors/me`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { balanceMills: number; redeemedCoins: number; doubleSpends: number };
}

test('the wallet is pointed at the broker from its options page', async ({ ctx, broker, extensionId }) => {
  await setBroker(ctx, extensionId, broker.url);
  wallet = await WalletPopup.open(ctx, extensionId);
  expect(await wallet.balance()).toBe(0);
});

test('a reader creates an account, adds sandbox funds and buys a set; the coins reach the wallet', async ({ ctx, broker }) => {
  page = await ctx.newPage();
  bought = await buyCoins(page, broker.url, 'reader@example.com');
  expect(bought).toBeGreaterThan(20);
  await screenshot(page, 'broker-purchase');
  // The account was debited exactly the coins of the set (1 coin = 1 mill), and shows the purchase.
  await page.goto(`${broker.url}/account`);
  await expect(page.locator('#balance')).toHaveAttribute('data-mills', String(5000 - bought));
  await expect(page.locator('#purchases')).toContainText(String(bought));
  await screenshot(page, 'broker-account');

  await wallet.expectBalance(bought);
  await screenshot(wallet.page, 'popup-after-purchase');
});

test('a free page loads without payment', async ({ shop }) => {
  const res = await page.goto(shop.url + FREE);
  expect(res?.status()).toBe(200);
  await expect(article(page)).toHaveText('A short history of the mill');
  expect(await wallet.balance()).toBe(bought);
});

test('a paid page is paid silently; the balance drops by its price; the vendor logged the coins', async ({ shop }) => {
  const res = await page.goto(shop.url + PAID_2, { waitUntil: 'commit' });
  expect(res?.status()).toBe(402); // the first answer is the challenge; the wallet pays and reloads
  await expect(article(page)).toHaveText('Notes on sourdough at altitude');
  await screenshot(page, 'paid-page');
  await wallet.expectPayment(shop.url + PAID_2, 'paid');
  await wallet.expectBalance(bought - 2);
  await screenshot(wallet.page, 'popup-after-payment');

  const log = vendorLog(shop.dataDir).filter((c) => c.url.endsWith(PAID_2));
  expect(log).toHaveLength(2);
  expect(new Set(log.map((c) => c.coin.toString('hex'))).size).toBe(2);
});

test('reloading a paid page within the access window costs nothing', async ({ shop }) => {
  const res = await page.reload();
  expect(res?.status()).toBe(200);
  await expect(article(page)).toHaveText('Notes on sourdough at altitude');
  expect(await wallet.balance()).toBe(bought - 2);
  expect(vendorLog(shop.dataDir)).toHaveLength(2);
});

test('a page above the autopay threshold asks first: declining spends nothing', async ({ shop }) => {
  await page.goto(shop.url + PAID_8, { waitUntil: 'commit' });
  const prompt = page.locator('#micromint-prompt');
  await expect(prompt).toContainText('8');
  await screenshot(page, 'prompt-above-threshold');
  await prompt.locator('[data-action="decline"]').click();
  await expect(prompt).toBeHidden();
  await expect(page.locator('body')).toContainText('8 coins'); // still the paywall, not the article
  await expect(article(page)).toHaveCount(0);
  expect(await wallet.balance()).toBe(bought - 2);
  expect(vendorLog(shop.dataDir)).toHaveLength(2);
});

test('a page above the autopay threshold asks first: paying shows the page', async ({ shop }) => {
  await page.goto(shop.url + PAID_8, { waitUntil: 'commit' });
  await page.locator('#micromint-prompt [data-action="pay"]').click();
  await expect(article(page)).toHaveText("The cartographer's last map");
  await wallet.expectPayment(shop.url + PAID_8, 'paid');
  await wallet.expectBalance(bought - 10);
  expect(vendorLog(shop.dataDir)).toHaveLength(10);
});

test('a stopped service worker wakes for a 402 and pays it', async ({ ctx, shop, extensionId }) => {
  // MV3 stops idle workers; the wallet must not depend on one staying alive.
  const cdp = await ctx.newCDPSession(wallet.page);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const workers = targetInfos.filter((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${extensionId}/`));
  expect(workers.length).toBeGreaterThan(0);
  for (const t of workers) await cdp.send('Target.closeTarget', { targetId: t.targetId });
  await cdp.detach();
  await page.goto(shop.url + PAID_1, { waitUntil: 'commit' });
  await expect(article(page)).toHaveText("The lighthouse keeper's ledger");
  await wallet.expectPayment(shop.url + PAID_1, 'paid');
  await wallet.expectBalance(bought - 11);
});

test("a page's fetch() of a paid API is paid by the wallet", async ({ shop }) => {
  await page.goto(shop.url + FREE);
  await expect(article(page)).toHaveText('A short history of the mill');
  const [status, body] = await page.evaluate(async (path) => {
    const res = await fetch(path, { headers: { accept: 'application/json' } });
    return [res.status, await res.text()] as const;
  }, API_1);
  expect(status).toBe(200);
  expect(JSON.parse(body)).toBeTruthy();
  await wallet.expectPayment(shop.url + API_1, 'paid');
  await wallet.expectBalance(bought - 12);
  expect(vendorLog(shop.dataDir).filter((c) => c.url.endsWith(API_1))).toHaveLength(1);
});

test('the vendor redeems its coins and the broker credits it once', async ({ broker, shop }) => {
  const apiKey = vendorKey(shop.dataDir);
  const out = execFileSync(
    join(repoRoot, 'node_modules', '.bin', 'tsx'),
    [
      '--conditions=@micromint/source',
      'middleware/src/bin.ts',
      'redeem',
      '--db',
      join(shop.dataDir, 'micromint-vendor.db'),
      '--broker',
      broker.url,
      '--api-key',
      apiKey,
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  expect(out).toMatch(/credited/i);
  const account = await vendorAccount(broker.url, apiKey);
  expect(account.redeemedCoins).toBe(12);
  expect(account.balanceMills).toBe(12);
});

test('redeeming the same coins again is refused as a double spend and pays nobody', async ({ broker, shop }) => {
  const apiKey = vendorKey(shop.dataDir);
  const coins = vendorLog(shop.dataDir).map((c) => ({
    epoch: c.epoch,
    userId: c.user_id,
    coin: toBase64(c.coin),
    url: c.url,
    paidAt: c.paid_at,
  }));
  const res = await fetch(`${broker.url}/api/redeem`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batchId: 'e2e-second-try', coins }),
  });
  expect(res.status).toBe(200);
  const answer = (await res.json()) as { credited: number; results: { status: string; reason?: string }[] };
  expect(answer.credited).toBe(0);
  expect(answer.results.every((r) => r.status === 'refused' && r.reason === 'already-spent')).toBe(true);
  const account = await vendorAccount(broker.url, apiKey);
  expect(account.balanceMills).toBe(12);
  expect(account.doubleSpends).toBe(12);
});

test("the vendor's dashboard at the broker shows its balance, redemptions and double spends", async ({ ctx, broker, shop }) => {
  const dash = await ctx.newPage();
  await dash.goto(`${broker.url}/vendors/dashboard`);
  await dash.locator('#dashboard-form input[name=apiKey]').fill(vendorKey(shop.dataDir));
  await dash.locator('#dashboard-form button[type=submit]').click();
  await expect(dash.locator('#vendor-balance')).toHaveAttribute('data-mills', '12');
  await expect(dash.locator('#vendor-redeemed .n')).toHaveText('12');
  await expect(dash.locator('#vendor-double-spends .n')).toHaveText('12');
  await screenshot(dash, 'journey-vendor-dashboard');
  await dash.close();
});

test('a forged coin sent by plain HTTP gets 402 and no content', async ({ shop }) => {
  const challenge = await fetch(shop.url + PAID_2);
  expect(challenge.status).toBe(402);
  const required = JSON.parse(Buffer.from(challenge.headers.get('payment-required')!, 'base64').toString('utf8'));
  const forged = new Uint8Array(64).map(() => Math.floor(Math.random() * 256));
  const header = encodeHeader({
    x402Version: 2,
    resource: required.resource,
    accepted: required.accepts[0],
    payload: micromintPayload(required.accepts[0].extra.epoch, 'u_0000000000000000', [forged]),
  });
  const before = vendorLog(shop.dataDir).length;
  const res = await fetch(required.resource.url, { headers: { [PAYMENT_SIGNATURE_HEADER]: header } });
  expect(res.status).toBe(402);
  expect(await res.text()).not.toContain('Jonah Abernathy');
  expect(vendorLog(shop.dataDir)).toHaveLength(before);
});

test('a malformed payment header is a 400 that consumes nothing', async ({ shop }) => {
  const before = vendorLog(shop.dataDir).length;
  for (const bad of ['%%%', Buffer.from('{"x402Version":2}').toString('base64'), 'A'.repeat(70_000)]) {
    const res = await fetch(shop.url + PAID_1, { headers: { [PAYMENT_SIGNATURE_HEADER]: bad } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.status).not.toBe(200);
  }
  const res = await fetch(shop.url + PAID_1, { headers: { [PAYMENT_SIGNATURE_HEADER]: '%%%' } });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: string }).error).toBe('invalid_payment_header');
  expect(vendorLog(shop.dataDir)).toHaveLength(before);
});
