/**
 * PayWord chains end to end (docs/protocol.md section 12), in real Chromium against the real
 * broker and vendors: the reader connects the wallet on the broker's account page, pays a first
 * page with coins, comes back and the wallet opens a chain and pays with links; two tabs at once;
 * the vendor restarts; a stolen link; clearing; sites that take only one scheme; the options page;
 * and, on a second broker whose chains live {@link MAX_CHAIN_EXPIRY} seconds, the hold coming back
 * after expiry. That chain is opened first (by a second browser profile, a reader of that broker)
 * and looked at last, so its lifetime passes while the other tests run.
 *
 * What the wallet paid is read from the vendors' answers (PAYMENT-RESPONSE), the vendor's CLI and
 * the broker's API and pages, never from a database file. The shop here has no access window, so
 * every load of a paid page is paid again.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { decodePaymentPayload, decodePaymentRequired, PAYMENT_REQUIRED_HEADER, PAYMENT_SIGNATURE_HEADER } from '@micromint/shared';
import { launchWallet } from '../browser.ts';
import {
  addFunds,
  buySets,
  connectWallet,
  expect,
  offeredSchemes,
  type PaidVisit,
  screenshot,
  setBroker,
  signUp,
  test,
  vendorAccount,
  vendorApiKey,
  vendorCli,
  vendorStats,
  visitPaid,
  WalletPopup,
  walletProfile,
  walletWorker,
} from '../fixtures.ts';
import { startBroker, startSchemeVendor, startShop, tempDir, type Running } from '../servers.ts';
import { notePath, noteTitle } from '../apps/scheme-vendor.ts';

const PAID_2 = '/articles/sourdough-at-altitude.html';
const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';
const API_1 = '/api/quote';
const TITLES: Record<string, string> = { [PAID_2]: 'Notes on sourdough at altitude', [PAID_1]: "The lighthouse keeper's ledger" };

/** The wallet's default chain: 100 links of the shop's 1 mill. */
const CHAIN_LINKS = 100;

/**
 * The longest life the second broker allows a chain (`--max-chain-expiry`). The wallet proposes a
 * little less (room for clocks: a tenth, at most a minute), pays with a chain only while it has
 * more than a minute left, and opens none that would live two minutes or less: 150 s gives chains
 * of 135 s.
 */
const MAX_CHAIN_EXPIRY = 150;
/** Its clearing grace (`--chain-grace`): the hold comes back this long after expiry (and within ~5 s). */
const CHAIN_GRACE = 1;

/** The paid article (the paywall repeats the title in its own h1, never in an article). */
const articleOf = (path: string) => (p: Page) => p.locator('article h1', { hasText: TITLES[path]! });
const noteOf = (name: string) => (p: Page) => p.locator('article h1', { hasText: noteTitle(name) });

/** The indices a payword payment claims. */
const range = (v: PaidVisit): [number, number] => [v.chain!.index - v.chain!.units + 1, v.chain!.index];

/** Waits until `url` offers `scheme` (a vendor offers payword once the broker confirmed its key). */
async function untilOffered(url: string, scheme: string): Promise<void> {
  await expect.poll(() => offeredSchemes(url), { message: `${url} offers ${scheme}`, timeout: 60_000 }).toContain(scheme);
}

/** The broker account page's numbers: balance, what open chains hold, and one chain's row. */
async function brokerAccount(page: Page, brokerUrl: string, chainId?: string) {
  await page.goto(`${brokerUrl}/account`);
  const balance = Number(await page.locator('#balance').getAttribute('data-mills'));
  const heldNow = Number(await page.locator('#chains').getAttribute('data-held-mills'));
  if (!chainId) return { balance, heldNow };
  const row = page.locator(`#chains tr[data-chain-id="${chainId}"]`);
  await expect(row).toHaveCount(1);
  return {
    balance,
    heldNow,
    status: await row.getAttribute('data-status'),
    heldMills: Number(await row.getAttribute('data-held-mills')),
    spentMills: Number(await row.getAttribute('data-spent-mills')),
    releasedMills: await row.getAttribute('data-released-mills'),
  };
}

test.describe('a reader pays a site they return to with a chain', () => {
  test.describe.configure({ mode: 'serial' });

  let broker: Running;
  let shop: Running;
  let coinsOnly: Running;
  let chainsOnly: Running;
  let context: BrowserContext;
  /** The broker of short chains, its chains-only vendor, and the browser of its reader. */
  let shortBroker: Running;
  let shortVendor: Running;
  let shortContext: BrowserContext;
  let shortPage: Page;
  let shortChain = '';
  let extensionId: string;
  let page: Page;
  let wallet: WalletPopup;
  let bought = 0;
  let balanceBeforeChain = 0;
  let chainId = '';
  /** Every payword payment the shop's answers acknowledged, in order. */
  const links: PaidVisit[] = [];

  test.beforeAll(async () => {
    test.setTimeout(240_000);
    [broker, shortBroker] = await Promise.all([
      startBroker({ maxChainExpirySeconds: 86_400, chainGraceSeconds: 3600 }),
      startBroker({ maxChainExpirySeconds: MAX_CHAIN_EXPIRY, chainGraceSeconds: CHAIN_GRACE }),
    ]);
    [shop, coinsOnly, chainsOnly, shortVendor] = await Promise.all([
      startShop(broker.url, { accessWindowSeconds: 0 }),
      startSchemeVendor(broker.url, ['micromint']),
      startSchemeVendor(broker.url, ['payword']),
      startSchemeVendor(shortBroker.url, ['payword']),
    ]);
    ({ context, extensionId, wallet, page } = await walletProfile('profile-payword', broker.url));
  });

  test.afterAll(async () => {
    await Promise.all([context?.close(), shortContext?.close()]);
    await Promise.all([shop?.stop(), coinsOnly?.stop(), chainsOnly?.stop(), shortVendor?.stop()]);
    await Promise.all([broker?.stop(), shortBroker?.stop()]);
  });

  test('on a broker of short chains, a reader pays a chains-only site and the site clears its link (the chain expires later)', async () => {
    shortContext = await launchWallet(tempDir('profile-payword-short'));
    const sw = await walletWorker(shortContext);
    const id = new URL(sw.url()).host;
    await setBroker(shortContext, id, shortBroker.url);
    shortPage = await shortContext.newPage();
    await signUp(shortPage, shortBroker.url, 'short-chains@example.com');
    await addFunds(shortPage);
    await connectWallet(shortPage, shortBroker.url);
    await untilOffered(shortVendor.url + notePath('x'), 'payword');
    // No coins in this wallet, and none offered: the first page opens a chain at once.
    const paid = await visitPaid(shortPage, shortVendor.url + notePath('x'), noteOf('x'));
    expect(paid.chain).toMatchObject({ index: 1, units: 1 });
    shortChain = paid.chain!.chainId;
    const held = await brokerAccount(shortPage, shortBroker.url, shortChain);
    expect(held).toMatchObject({ status: 'held', heldMills: CHAIN_LINKS, balance: 5000 - CHAIN_LINKS });
    // The vendor clears its one link well before the chain closes.
    expect(await vendorCli(shortVendor.dataDir, 'redeem', shortBroker.url)).toContain('Cleared 1 chain: 1 links, 1 mills');
    expect((await brokerAccount(shortPage, shortBroker.url, shortChain)).spentMills).toBe(1);
  });

  test("the reader connects this browser's wallet on the broker's account page", async () => {
    await signUp(page, broker.url, 'returning-reader@example.com');
    const key = await connectWallet(page, broker.url);
    await screenshot(page, 'payword-broker-connected');
    // The broker's data block lists the key the wallet filled in, for the signed-in user.
    const block = JSON.parse((await page.locator('script.micromint-wallet').textContent()) ?? '{}') as {
      walletKeys: string[];
      userId: string;
    };
    expect(block.walletKeys).toEqual([key]);
    expect(block.userId).toMatch(/\S/);
    await wallet.page.reload();
    await expect(wallet.page.locator('#connection')).toHaveAttribute('data-state', 'connected');
    await expect(wallet.page.locator('#connection-text')).toContainText(block.userId);
  });

  test('the reader buys coins; the first page at the shop is paid with coins', async () => {
    await addFunds(page);
    bought = await buySets(page);
    expect(bought).toBeGreaterThan(20);
    await wallet.expectBalance(bought);
    const first = await visitPaid(page, shop.url + PAID_2, articleOf(PAID_2));
    expect(first.scheme).toBe('micromint');
    await wallet.expectBalance(bought - 2);
    expect(await wallet.chainsOf(shop.url)).toEqual({ chains: 0, linksLeft: 0, heldMills: 0 });
    balanceBeforeChain = (await brokerAccount(page, broker.url)).balance;
    expect(balanceBeforeChain).toBe(5000 - bought);
  });

  test('coming back, the wallet opens a chain and pays the next pages with links', async () => {
    await untilOffered(shop.url + PAID_1, 'payword');
    const second = await visitPaid(page, shop.url + PAID_1, articleOf(PAID_1));
    expect(second.scheme).toBe('payword');
    expect(second.chain).toMatchObject({ index: 1, units: 1 });
    chainId = second.chain!.chainId;
    const third = await visitPaid(page, shop.url + PAID_2, articleOf(PAID_2));
    expect(third.chain).toEqual({ chainId, index: 3, units: 2 });
    links.push(second, third);
    // Links, not coins: the coins are where the first page left them.
    await wallet.expectBalance(bought - 2);
    expect(await wallet.chainsOf(shop.url)).toEqual({ chains: 1, linksLeft: CHAIN_LINKS - 3, heldMills: CHAIN_LINKS - 3 });
    expect(await wallet.totalMills()).toBe(bought - 2 + CHAIN_LINKS - 3);
    await screenshot(wallet.page, 'payword-popup-chains');
    // The vendor recorded one chain and two payments of it.
    const stats = await vendorStats(shop.dataDir);
    expect(stats['payword chains']).toBe(1);
    expect(stats['payword payments']).toBe(2);
  });

  test("the broker's account page shows the chain's hold", async () => {
    const account = await brokerAccount(page, broker.url, chainId);
    expect(account).toMatchObject({ status: 'held', heldMills: CHAIN_LINKS, spentMills: 0, heldNow: CHAIN_LINKS });
    expect(account.balance).toBe(balanceBeforeChain - CHAIN_LINKS);
    await screenshot(page, 'payword-broker-hold');
  });

  test('two tabs pay the same site at the same moment: both are paid, with ranges of their own', async () => {
    const [a, b] = [await context.newPage(), await context.newPage()];
    try {
      const [one, two] = await Promise.all([
        visitPaid(a, shop.url + PAID_1, articleOf(PAID_1)),
        visitPaid(b, shop.url + PAID_2, articleOf(PAID_2)),
      ]);
      expect(one.chain?.chainId).toBe(chainId);
      expect(two.chain?.chainId).toBe(chainId);
      const [r1, r2] = [range(one), range(two)];
      // Disjoint, and together exactly the next three links after the 3 paid before.
      expect(r1[1] < r2[0] || r2[1] < r1[0]).toBe(true);
      expect([r1, r2].flatMap(([lo, hi]) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)).sort((x, y) => x - y)).toEqual([
        4, 5, 6,
      ]);
      links.push(one, two);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect((await vendorStats(shop.dataDir))['payword payments']).toBe(4);
    expect((await wallet.chainsOf(shop.url)).linksLeft).toBe(CHAIN_LINKS - 6);
  });

  test('the vendor restarts and the next link of the chain is still accepted', async () => {
    await shop.stop();
    shop = await startShop(broker.url, { accessWindowSeconds: 0, again: shop });
    await untilOffered(shop.url + PAID_1, 'payword');
    const next = await visitPaid(page, shop.url + PAID_1, articleOf(PAID_1));
    expect(next.chain).toEqual({ chainId, index: 7, units: 1 });
    links.push(next);
    expect((await vendorStats(shop.dataDir))['payword payments']).toBe(5);
  });

  test('a link stolen off one request and sent for another URL is refused as bad-mac and consumes nothing', async () => {
    // The wallet's paid request, as it went out (the wallet adds PAYMENT-SIGNATURE to the retried navigation).
    const url = shop.url + PAID_1;
    const stolen: string[] = [];
    const onRequest = async (r: import('@playwright/test').Request) => {
      if (r.url() !== url) return;
      const value = await r.headerValue(PAYMENT_SIGNATURE_HEADER).catch(() => null);
      if (value) stolen.push(value);
    };
    page.on('request', onRequest);
    try {
      const paid = await visitPaid(page, url, articleOf(PAID_1));
      expect(paid.chain).toEqual({ chainId, index: 8, units: 1 });
      links.push(paid);
      await expect.poll(() => stolen.length, { message: 'the paid request was seen with its PAYMENT-SIGNATURE' }).toBeGreaterThan(0);
    } finally {
      page.off('request', onRequest);
    }
    const header = stolen.at(-1)!;
    const payment = decodePaymentPayload(header);
    expect(payment.resource?.url).toBe(url);
    expect((payment.payload as { index: number }).index).toBe(8);

    const payments = async () => {
      const s = await vendorStats(shop.dataDir);
      return { chains: s['payword chains'], payments: s['payword payments'], coins: s['coins'] };
    };
    const before = await payments();
    // Same price (1 link), another URL: only the MAC can tell, and it binds the URL it was made for.
    const res = await fetch(shop.url + API_1, { headers: { [PAYMENT_SIGNATURE_HEADER]: header, accept: 'application/json' } });
    expect(res.status).toBe(402);
    const refusal = decodePaymentRequired(res.headers.get(PAYMENT_REQUIRED_HEADER));
    expect(refusal.error).toBe('bad-mac');
    expect((refusal.extensions?.payword as { reason: string; chainId: string }).reason).toBe('bad-mac');
    expect(await res.text()).not.toContain('paidWith');
    expect(await payments()).toEqual(before);

    // Nothing was consumed: the wallet's next link follows on, and is accepted.
    const next = await visitPaid(page, url, articleOf(PAID_1));
    expect(next.chain).toEqual({ chainId, index: 9, units: 1 });
    links.push(next);
  });

  test('clearing credits exactly the links revealed at the broker; clearing again pays nothing', async () => {
    const revealed = Math.max(...links.map((l) => l.chain!.index));
    expect(revealed).toBe(links.reduce((n, l) => n + l.chain!.units, 0)); // no gaps: every link revealed was paid for
    const apiKey = vendorApiKey(shop.dataDir);
    const out = await vendorCli(shop.dataDir, 'redeem', broker.url);
    expect(out).toContain(`Cleared 1 chain: ${revealed} links, ${revealed} mills`);
    const vendor = await vendorAccount(broker.url, apiKey);
    expect(vendor).toMatchObject({ clearedChains: 1, clearedLinks: revealed, clearedMills: revealed, redeemedCoins: 2 });
    expect(vendor.balanceMills).toBe(2 + revealed);

    const account = await brokerAccount(page, broker.url, chainId);
    expect(account).toMatchObject({ status: 'held', heldMills: CHAIN_LINKS, spentMills: revealed, heldNow: CHAIN_LINKS - revealed });
    expect(account.balance).toBe(balanceBeforeChain - CHAIN_LINKS);

    const again = await vendorCli(shop.dataDir, 'redeem', broker.url);
    expect(again).not.toMatch(/Cleared 1 chain: [1-9]/);
    const paid = ({ balanceMills, redeemedCoins, clearedChains, clearedLinks, clearedMills }: typeof vendor) => ({
      balanceMills,
      redeemedCoins,
      clearedChains,
      clearedLinks,
      clearedMills,
    });
    expect(paid(await vendorAccount(broker.url, apiKey))).toEqual(paid(vendor));
    expect((await brokerAccount(page, broker.url, chainId)).spentMills).toBe(revealed);
  });

  test('a site that offers only coins is paid with coins; one that offers only chains, with links', async () => {
    await untilOffered(chainsOnly.url + notePath('a'), 'payword');
    const coinsBefore = await wallet.balance();
    for (const name of ['a', 'b']) {
      const visit = await visitPaid(page, coinsOnly.url + notePath(name), noteOf(name));
      expect(visit.scheme).toBe('micromint');
    }
    await wallet.expectBalance(coinsBefore - 2);
    expect((await wallet.chainsOf(coinsOnly.url)).chains).toBe(0);

    // The first page there already: coins are not offered, so the wallet opens a chain at once.
    const first = await visitPaid(page, chainsOnly.url + notePath('a'), noteOf('a'));
    expect(first.chain).toMatchObject({ index: 1, units: 1 });
    const second = await visitPaid(page, chainsOnly.url + notePath('b'), noteOf('b'));
    expect(second.chain).toEqual({ chainId: first.chain!.chainId, index: 2, units: 1 });
    expect(first.chain!.chainId).not.toBe(chainId);
    await wallet.expectBalance(coinsBefore - 2);
    expect(await wallet.chainsOf(chainsOnly.url)).toEqual({ chains: 1, linksLeft: CHAIN_LINKS - 2, heldMills: CHAIN_LINKS - 2 });
    const account = await brokerAccount(page, broker.url, first.chain!.chainId);
    expect(account).toMatchObject({ status: 'held', heldMills: CHAIN_LINKS });
    await screenshot(wallet.page, 'payword-popup-two-sites');
  });

  test("the options page sets the chain policy, refuses values it cannot keep, and lists the wallet's chains", async () => {
    const options = await context.newPage();
    try {
      await options.goto(`chrome-extension://${extensionId}/options.html`);
      await expect(options.locator('#settings')).toHaveAttribute('data-loaded', 'true');
      await expect(options.locator('#chainsEnabled')).toBeChecked();
      await expect(options.locator('#openChainAfterPages')).toHaveValue('2');
      await expect(options.locator('#chainLinks')).toHaveValue(String(CHAIN_LINKS));
      await expect(options.locator('#maxHeldMills')).toHaveValue('$1.00');
      await expect(options.locator('#threshold')).toHaveValue('0.5¢');
      await expect(options.locator(`#chains-list tr[data-chain-id="${chainId}"]`)).toHaveAttribute('data-status', 'open');
      await expect(options.locator('#connection')).toHaveAttribute('data-state', 'connected');

      // A chain of no links, and money in fractions of a mill, are named at their inputs and not saved.
      await options.locator('#chainLinks').fill('0');
      await options.locator('#save').click();
      await expect(options.locator('.field-error[data-for="chainLinks"]')).toContainText('from 1 to 100000');
      await expect(options.locator('#chainLinks')).toHaveAttribute('aria-invalid', 'true');
      await options.locator('#chainLinks').fill('50');
      await options.locator('#maxHeldMills').fill('0.0005');
      await options.locator('#save').click();
      await expect(options.locator('.field-error[data-for="maxHeldMills"]')).toContainText('in steps of 0.1¢');
      await expect(options.locator('#saved')).toHaveText('');

      await options.locator('#maxHeldMills').fill('$2.5');
      await options.locator('#openChainAfterPages').fill('3');
      await options.locator('#chainLifetime').fill('2');
      await options.locator('#chainLifetimeUnit').selectOption({ label: 'days' });
      await options.locator('#threshold').fill('0.008');
      await options.locator('#save').click();
      await expect(options.locator('#saved')).toHaveText('Saved');
      await expect(options.locator('.field-error:not(:empty)')).toHaveCount(0);
      await screenshot(options, 'payword-options');

      // Kept by the worker: a fresh page shows them, and the popup's threshold is money.
      await options.reload();
      await expect(options.locator('#settings')).toHaveAttribute('data-loaded', 'true');
      await expect(options.locator('#maxHeldMills')).toHaveValue('$2.50');
      await expect(options.locator('#chainLinks')).toHaveValue('50');
      await expect(options.locator('#openChainAfterPages')).toHaveValue('3');
      await expect(options.locator('#chainLifetime')).toHaveValue('2');
      await expect(options.locator('#chainLifetimeUnit')).toHaveValue('86400');
      await wallet.page.reload();
      await expect(wallet.page.locator('#threshold')).toHaveText('0.8¢');
    } finally {
      await options.close();
    }
  });

  test("after the short chain's expiry and clearing grace, its unspent hold is back in that reader's balance", async () => {
    test.setTimeout(MAX_CHAIN_EXPIRY * 1000 + 120_000);
    expect(shortChain).not.toBe('');
    // The broker releases due chains every half grace, and for the user before the account page is shown.
    await expect
      .poll(async () => (await brokerAccount(shortPage, shortBroker.url, shortChain)).status, {
        message: 'the broker released the chain',
        timeout: MAX_CHAIN_EXPIRY * 1000 + 60_000,
        intervals: [2_000],
      })
      .toBe('released');
    const released = await brokerAccount(shortPage, shortBroker.url, shortChain);
    expect(released).toMatchObject({ spentMills: 1, releasedMills: String(CHAIN_LINKS - 1), heldNow: 0 });
    expect(released.balance).toBe(5000 - 1);
    await screenshot(shortPage, 'payword-broker-released');
    // The wallet no longer counts the expired chain.
    const id = new URL((await walletWorker(shortContext)).url()).host;
    const shortWallet = await WalletPopup.open(shortContext, id);
    expect(await shortWallet.chainsOf(shortVendor.url)).toEqual({ chains: 0, linksLeft: 0, heldMills: 0 });
    expect(await shortWallet.totalMills()).toBe(0);
  });
});
