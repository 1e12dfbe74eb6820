/**
 * Budgets end to end, in real Chromium with the built wallet against a real broker and the demo
 * shop (no access window: every load of a paid page is paid again). The reader gives the shop a
 * budget of 0.2¢ a day on the options page; pages of 0.1¢ are paid without asking until it is used
 * up; the next one asks, with "Allow <shop> up to 1¢ a day", and one click raises the budget and
 * pays; under the new budget the wallet pays silently again. The popup shows the spending against
 * the budgets and the chart of spending per day; the options page changes and removes a budget.
 *
 * Every wait is on a state (the paid article, the prompt, the popup's and options page's data
 * attributes), never on time. What was paid is read from the shop's answers (PAYMENT-RESPONSE).
 */
import type { BrowserContext, Page } from '@playwright/test';
import { decodeSettlementResponse, PAYMENT_RESPONSE_HEADER } from '@micromint/shared';
import { buyCoins, expect, screenshot, test, visitPaid, WalletPopup, walletProfile } from '../fixtures.ts';
import { startBroker, startShop, type Running } from '../servers.ts';

const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';
const PAID_2 = '/articles/sourdough-at-altitude.html';
const TITLES: Record<string, string> = { [PAID_1]: "The lighthouse keeper's ledger", [PAID_2]: 'Notes on sourdough at altitude' };
const articleOf = (path: string) => (p: Page) => p.locator('article h1', { hasText: TITLES[path]! });

test.describe('budgets: a site pays silently within its budget, then the prompt offers to raise it', () => {
  test.describe.configure({ mode: 'serial' });

  let broker: Running;
  let shop: Running;
  let context: BrowserContext;
  let extensionId: string;
  let page: Page;
  let wallet: WalletPopup;
  let options: Page;
  let bought = 0;
  let host = '';

  /** The shop's row in the options page's budgets table. */
  const optionsRow = () => options.locator(`#budgets-list tr[data-site="${shop.url}"]`);
  /** The shop's line in a freshly drawn popup. */
  async function popupSite() {
    await wallet.page.reload();
    await expect(wallet.page.locator('#budgets-section')).toBeVisible();
    return wallet.page.locator(`#budgets li.budget-site[data-site="${shop.url}"]`);
  }

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    broker = await startBroker();
    shop = await startShop(broker.url, { accessWindowSeconds: 0 });
    host = new URL(shop.url).host;
    ({ context, extensionId, wallet, page } = await walletProfile('budgets-profile', broker.url));
    bought = await buyCoins(page, broker.url, 'budget-reader@example.com');
    await wallet.page.setViewportSize({ width: 412, height: 760 });
    await wallet.expectBalance(bought);
    options = await context.newPage();
    await options.goto(`chrome-extension://${extensionId}/options.html#budgets-card`);
    await expect(options.locator('#budgets-card')).toHaveAttribute('data-loaded', 'true');
  });

  test.afterAll(async () => {
    await context?.close();
    await Promise.all([shop?.stop(), broker?.stop()]);
  });

  test('the options page gives the shop a budget of 0.2¢ a day; pages are paid without asking until it is used up', async () => {
    await options.locator('#budget-site').fill(host);
    await options.locator('#budget-limit').fill('0.2¢');
    await options.locator('#budget-period').selectOption('day');
    await options.locator('#budget-add button[type=submit]').click();
    await expect(options.locator('#budget-status')).toContainText(`Saved the budget for ${host}`);
    await expect(optionsRow()).toHaveAttribute('data-limit', '2');
    await expect(optionsRow()).toHaveAttribute('data-period', 'day');

    for (let i = 0; i < 2; i++) {
      const visit = await visitPaid(page, shop.url + PAID_1, articleOf(PAID_1));
      expect(visit.scheme).toBe('micromint');
      await expect(page.locator('#micromint-prompt')).toHaveCount(0);
    }
    const site = await popupSite();
    await expect(site).toHaveAttribute('data-spent', '2');
    await expect(site).toHaveAttribute('data-state', 'full');
    await expect(site.locator('.spent')).toHaveText('0.2¢ of 0.2¢ today');
    await wallet.expectBalance(bought - 2);
  });

  test('past the budget the prompt asks with the offer; one click raises the budget to 1¢ a day and pays', async () => {
    const answered = page.waitForResponse(
      async (r) => r.url() === shop.url + PAID_1 && (await r.headerValue(PAYMENT_RESPONSE_HEADER)) !== null,
      { timeout: 60_000 },
    );
    await page.goto(shop.url + PAID_1, { waitUntil: 'commit' });
    const prompt = page.locator('#micromint-prompt');
    const allow = prompt.locator('[data-action="allow"]');
    await expect(allow).toHaveText(`Allow ${host} up to 1¢ a day`);
    await expect(allow).toHaveAttribute('data-limit', '10');
    await expect(prompt).toContainText(`This would pass your budget for ${host}: 0.2¢ of 0.2¢ a day spent.`);
    await expect(prompt.locator('[data-action="pay"]')).toBeVisible();
    await screenshot(page, 'prompt-budget-offer');
    expect(await wallet.balance()).toBe(bought - 2);

    await allow.click();
    expect(decodeSettlementResponse(await (await answered).headerValue(PAYMENT_RESPONSE_HEADER)).success).toBe(true);
    await expect(articleOf(PAID_1)(page)).toBeVisible();
    const site = await popupSite();
    await expect(site).toHaveAttribute('data-limit', '10');
    await expect(site).toHaveAttribute('data-spent', '3');
    await expect(site).toHaveAttribute('data-state', 'ok');
    await wallet.expectBalance(bought - 3);
  });

  test('under the raised budget the next page is paid silently; the popup shows the budgets and the chart', async () => {
    await visitPaid(page, shop.url + PAID_2, articleOf(PAID_2));
    await expect(page.locator('#micromint-prompt')).toHaveCount(0);
    // A budget for the whole wallet too, so the popup shows both kinds.
    await options.reload();
    await options.locator('#wallet-budget-limit').fill('$1.00');
    await options.locator('#wallet-budget-form button[type=submit]').click();
    await expect(options.locator('#wallet-budget-spent')).toHaveText('0.5¢ of $1.00 spent this month.');

    const site = await popupSite();
    await expect(site).toHaveAttribute('data-spent', '5');
    await expect(site.locator('.spent')).toHaveText('0.5¢ of 1¢ today');
    const all = wallet.page.locator('#wallet-budget');
    await expect(all).toHaveAttribute('data-limit', '1000');
    await expect(all).toHaveAttribute('data-spent', '5');
    // The chart: 30 days, today's bar holds what was paid today; the table says the same.
    const bars = wallet.page.locator('#spending-chart svg rect.bar');
    await expect(bars).toHaveCount(30);
    await expect(wallet.page.locator('#spending-chart svg rect.bar.today')).toHaveAttribute('data-mills', '5');
    await expect(wallet.page.locator('#spending-chart svg')).toHaveAttribute('aria-label', /0\.5¢ in all/);
    await expect(wallet.page.locator('#spending-table tbody tr')).toHaveCount(1);
    await expect(wallet.page.locator('#spending-table tfoot td')).toHaveText('0.5¢');
    await wallet.page.locator('#spending-chart details summary').click();
    await screenshot(wallet.page, 'popup-budgets');
  });

  test('the options page lists the shop with its budget, to change or remove', async () => {
    await options.reload();
    const row = optionsRow();
    await expect(row).toHaveAttribute('data-limit', '10');
    await expect(row.locator('.spent')).toHaveText('0.5¢ of 1¢ today');
    await row.locator('.budget-limit').fill('5¢');
    await row.locator('.budget-period').selectOption('month');
    await row.locator('[data-action="save"]').click();
    await expect(optionsRow()).toHaveAttribute('data-limit', '50');
    await expect(optionsRow()).toHaveAttribute('data-period', 'month');
    await expect(optionsRow().locator('.spent')).toHaveText('0.5¢ of 5¢ this month');
    await screenshot(options, 'options-budgets');

    // A bad amount is refused on the page and changes nothing.
    await optionsRow().locator('.budget-limit').fill('lots');
    await optionsRow().locator('[data-action="save"]').click();
    await expect(options.locator('#budget-error')).toContainText('a budget is an amount');
    await expect(optionsRow()).toHaveAttribute('data-limit', '50');

    await optionsRow().locator('[data-action="remove"]').click();
    await expect(options.locator('#budget-status')).toContainText(`Removed the budget for ${host}`);
    // Still listed (paid this month), now without a budget.
    await expect(optionsRow()).not.toHaveAttribute('data-limit', /.*/);
    await expect(optionsRow().locator('[data-action="save"]')).toHaveText('Set');
    const site = await popupSite();
    await expect(site).toHaveAttribute('data-state', 'none');
  });
});
