/**
 * Loads the built extension (dist/extension) into headless Chromium and walks the wallet through a
 * stand-in broker and vendor: options, funds delivery, popup, autopay, prompt (decline and pay),
 * insufficient funds, refusal, a lost response resent, a page fetch() 402, and a return for credit.
 *
 *   npx vite build && npx tsx extension/scripts/verify-chromium.ts [--shots /tmp/micromint]
 *
 * Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH). Exits non-zero on the first failure.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EXTENSION_PUBLIC_KEY, extensionIdFromKey } from '../build/manifest.ts';
import { fundsText, pickFirsts, sellSets, testEpoch, USER } from '../test/helpers/mint.ts';
import { clickInShadow, launchWallet, shadowText, type WalletBrowser } from './chromium.ts';
import { startMockBroker, startMockVendor } from './mock-servers.ts';

const shotsAt = process.argv.includes('--shots') ? process.argv[process.argv.indexOf('--shots') + 1]! : '/tmp/micromint-shots';
mkdirSync(shotsAt, { recursive: true });

const epoch = testEpoch({ id: 'verify-1' });
const sets = sellSets(epoch, USER, pickFirsts(epoch, USER, 2));
const coins = sets.reduce((n, s) => n + s.balls[0]!.size, 0);
const withdrawalId = 'w_verify';

const broker = await startMockBroker({ funds: () => fundsText(epoch, sets, { withdrawalId, broker: broker.url }), withdrawalId, userId: USER, epoch });
const vendor = await startMockVendor({ broker: () => broker.url, epoch, funds: () => fundsText(epoch, sets, { withdrawalId: 'w_fake', broker: broker.url }) });

let wallet: WalletBrowser | undefined;
const step = (name: string) => console.log(`- ${name}`);
const popupBalance = (w: WalletBrowser, shot?: string) => w.popup(shot ? join(shotsAt, shot) : undefined);

try {
  wallet = await launchWallet();
  const { ctx, id, errors } = wallet;
  step(`service worker ${wallet.workerUrl}`);
  assert.equal(id, extensionIdFromKey(EXTENSION_PUBLIC_KEY), 'the extension id is the pinned one');

  step('popup of an empty wallet');
  const empty = await popupBalance(wallet, 'popup-empty.png');
  assert.equal(empty.balance, 0);

  step('options: point the wallet at the stand-in broker');
  const options = await ctx.newPage();
  options.on('pageerror', (e) => errors.push(`options: ${e.message}`));
  await options.goto(`chrome-extension://${id}/options.html`);
  await options.waitForFunction(() => (document.getElementById('brokerUrl') as HTMLInputElement).value !== '');
  assert.equal(await options.inputValue('#brokerUrl'), 'http://127.0.0.1:4000');
  assert.equal(await options.inputValue('#threshold'), '5');
  await options.fill('#threshold', '-3');
  await options.click('#save');
  await options.waitForSelector('.field-error[data-for="autopayThreshold"]:not(:empty)');
  await options.fill('#brokerUrl', broker.url);
  await options.fill('#threshold', '5');
  await options.click('#save');
  await options.waitForFunction(() => document.getElementById('saved')?.textContent === 'Saved');
  await options.screenshot({ path: join(shotsAt, 'options.png') });
  await options.close();

  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));

  step('a page of another origin cannot deliver funds');
  await page.goto(`${vendor.url}/fake-funds`);
  await page.waitForTimeout(500);
  assert.equal(await page.getAttribute('.micromint-status', 'data-state'), null);

  step('the broker page delivers Funds-Withdrawn');
  await page.goto(`${broker.url}/account/withdrawals/${withdrawalId}`);
  await page.waitForSelector('.micromint-status[data-state="stored"]', { timeout: 15_000 });
  assert.equal(await page.textContent('.micromint-status'), `Stored in your wallet: ${coins} coins`);
  await page.reload();
  await page.waitForSelector('.micromint-status[data-state="stored"]');
  let state = await popupBalance(wallet);
  assert.equal(state.balance, coins, 'imported once, even when the page is shown twice');

  step('autopay: 2 coins is under the threshold');
  await page.goto(`${vendor.url}/article/2`);
  await page.waitForSelector('#content', { timeout: 15_000 });
  state = await popupBalance(wallet);
  assert.equal(state.balance, coins - 2);
  assert.deepEqual(state.payments[0], { url: `${vendor.url}/article/2`, status: 'paid' });

  step('above the threshold: the prompt; decline spends nothing');
  await page.goto(`${vendor.url}/article/8`);
  await page.waitForSelector('#micromint-prompt', { state: 'attached', timeout: 15_000 });
  assert.match((await shadowText(page, 'micromint-prompt'))!, /8 coins/);
  await page.screenshot({ path: join(shotsAt, 'prompt.png') });
  await clickInShadow(page, 'micromint-prompt', 'decline');
  await page.waitForSelector('#micromint-prompt', { state: 'detached' });
  assert.ok(await page.$('#paywall'), 'the paywall page stays');
  assert.equal((await popupBalance(wallet)).balance, coins - 2);

  step('above the threshold: pay from the prompt, after the worker was stopped while it was up');
  await page.reload();
  await page.waitForSelector('#micromint-prompt', { state: 'attached', timeout: 15_000 });
  await wallet.stopWorker();
  await clickInShadow(page, 'micromint-prompt', 'pay');
  await page.waitForSelector('#content', { timeout: 15_000 });
  state = await popupBalance(wallet);
  assert.equal(state.balance, coins - 10);

  step('a stopped worker wakes for a 402 and pays it');
  await wallet.stopWorker();
  await page.goto(`${vendor.url}/article/1`);
  await page.waitForSelector('#content', { timeout: 15_000 });
  assert.equal((await popupBalance(wallet)).balance, coins - 11);

  step('insufficient funds: the notice');
  await page.goto(`${vendor.url}/article/900`);
  await page.waitForSelector('#micromint-notice', { state: 'attached', timeout: 15_000 });
  const notice = (await shadowText(page, 'micromint-notice'))!;
  assert.match(notice, /900 coins/);
  assert.match(notice, new RegExp(`holds ${coins - 11} coins`));
  assert.match(notice, /needs 900 coins/);
  await page.screenshot({ path: join(shotsAt, 'notice.png') });

  step('a refused payment releases its coins and the page asks instead of paying again');
  await page.goto(`${vendor.url}/refusing`);
  await page.waitForSelector('#micromint-prompt', { state: 'attached', timeout: 15_000 });
  assert.match((await shadowText(page, 'micromint-prompt'))!, /refused the last payment/);
  state = await popupBalance(wallet);
  assert.equal(state.balance, coins - 11, 'the refused coin came back');
  assert.deepEqual(state.payments[0], { url: `${vendor.url}/refusing`, status: 'refused' });

  step('a lost response: the payment stays pending and the same payload goes out again');
  await page.goto(`${vendor.url}/flaky`).catch(() => undefined);
  await page.waitForTimeout(1500);
  state = await popupBalance(wallet);
  assert.deepEqual(state.payments[0], { url: `${vendor.url}/flaky`, status: 'pending' });
  const pendingBalance = state.balance;
  vendor.flaky.drop = false;
  await page.goto(`${vendor.url}/flaky`);
  await page.waitForSelector('#content', { timeout: 15_000 });
  state = await popupBalance(wallet);
  assert.deepEqual(state.payments[0], { url: `${vendor.url}/flaky`, status: 'paid' });
  assert.equal(state.balance, coins - 13);
  assert.equal(pendingBalance, coins - 13, 'the resend spent no new coins');
  const flakyPaid = vendor.paidRequests.filter((r) => r.url === `${vendor.url}/flaky`);
  assert.ok(flakyPaid.length >= 2, 'the vendor saw the payment, then its resend');
  for (const r of flakyPaid) assert.deepEqual(r.coins, flakyPaid[0]!.coins, 'a resend carries the very same coins');

  step('a page fetch() 402 is paid through the MAIN-world wrapper');
  await page.goto(`${vendor.url}/app`);
  await page.waitForFunction(() => document.getElementById('out')?.textContent?.startsWith('200'), null, { timeout: 15_000 });
  assert.match((await page.textContent('#out'))!, /"paid":true/);
  state = await popupBalance(wallet);
  assert.equal(state.balance, coins - 14);
  assert.deepEqual(state.payments[0], { url: `${vendor.url}/api/data`, status: 'paid' });

  const paidCoins = [...new Map(vendor.paidRequests.map((r) => [r.url, r.coins])).values()].flat();
  assert.equal(new Set(paidCoins).size, paidCoins.length, 'no coin paid for two URLs');

  step('popup after paying');
  await popupBalance(wallet, 'popup.png');

  step('Send-Expired: unspent coins go back for credit');
  await page.goto(`${broker.url}/account/return`);
  await page.waitForSelector('.micromint-status[data-state="returned"]', { timeout: 15_000 });
  assert.equal(broker.credited[0]?.length, coins - 14);
  assert.equal((await popupBalance(wallet, 'popup-returned.png')).balance, 0);

  assert.deepEqual(errors, [], 'no console errors');
  console.log(`all checks passed; screenshots in ${shotsAt}`);
} finally {
  await wallet?.close();
  broker.server.close();
  vendor.server.close();
}
