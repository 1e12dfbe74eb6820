/**
 * Backup and restore between two real browser profiles (issue 10): profile A buys coins and pays
 * a page, then moves its wallet into a backup file from the options page (passphrase twice, the
 * file downloaded); profile B imports the file (a wrong passphrase first: refused, nothing
 * changed) and pays a page of the shop with an imported coin; A can no longer spend what it
 * exported, and neither A's own file nor a second import adds anything.
 *
 * Both profiles, the broker and the shop are this spec's own (a wallet belongs to one user; the
 * shop's log is the journey's to count).
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { buyCoins, expect, screenshot, test, vendorLog, walletProfile, type WalletProfile } from '../fixtures.ts';
import { startBroker, startShop, tempDir, type Running } from '../servers.ts';

test.describe.configure({ mode: 'serial' });

const PAID_2 = '/articles/sourdough-at-altitude.html';
const PAID_1 = '/articles/the-lighthouse-keepers-ledger.html';
const PASSPHRASE = 'marble otter lantern quietly';

let broker: Running;
let shop: Running;
let a: WalletProfile;
let b: WalletProfile;
let bought = 0;
let file = '';

async function optionsOf(p: WalletProfile): Promise<Page> {
  const options = await p.context.newPage();
  await options.goto(`chrome-extension://${p.extensionId}/options.html`);
  return options;
}

/** Imports the backup file in `p`'s options page with `passphrase`; the page is left showing the outcome. */
async function importFile(options: Page, passphrase: string): Promise<void> {
  await options.locator('#backup-file').setInputFiles(file);
  await options.locator('#backup-import-passphrase').fill(passphrase);
  await options.locator('#backup-import-button').click();
}

const article = (p: Page) => p.locator('article h1');

test.beforeAll(async () => {
  test.setTimeout(240_000);
  broker = await startBroker();
  shop = await startShop(broker.url);
  a = await walletProfile('profile-backup-a', broker.url);
  b = await walletProfile('profile-backup-b', broker.url);
});

test.afterAll(async () => {
  await a?.context.close();
  await b?.context.close();
  await shop?.stop();
  await broker?.stop();
});

test('profile A buys coins and pays a page', async () => {
  bought = await buyCoins(a.page, broker.url, 'mover@example.com');
  expect(bought).toBeGreaterThan(20);
  await a.page.goto(shop.url + PAID_2, { waitUntil: 'commit' });
  await expect(article(a.page)).toHaveText('Notes on sourdough at altitude');
  await a.wallet.expectBalance(bought - 2);
});

test('A moves its wallet into a backup file: passphrase twice, strength hint, the file downloaded', async () => {
  const options = await optionsOf(a);
  await options.locator('#backup-passphrase').fill('short');
  await expect(options.locator('#backup-strength')).toHaveAttribute('data-score', '0');
  await options.locator('#backup-passphrase').fill(PASSPHRASE);
  await expect(options.locator('#backup-strength')).toHaveAttribute('data-score', '4');
  await expect(options.locator('#backup-strength-text')).toHaveText('Strength: strong');
  // Two entries that differ: refused on the page, nothing moved.
  await options.locator('#backup-passphrase-again').fill(`${PASSPHRASE}!`);
  await options.locator('#backup-make').click();
  await expect(options.locator('#backup-error')).toHaveText('the two passphrases differ');
  await a.wallet.expectBalance(bought - 2);

  await options.locator('#backup-passphrase-again').fill(PASSPHRASE);
  await options.locator('#backup-card').scrollIntoViewIfNeeded();
  await screenshot(options, 'backup-dialog');
  const download = options.waitForEvent('download');
  await options.locator('#backup-make').click();
  const saved = await download;
  expect(saved.suggestedFilename()).toMatch(/^micromint-wallet-\d{4}-\d{2}-\d{2}\.mmbackup$/);
  file = join(tempDir('backup-file'), saved.suggestedFilename());
  await saved.saveAs(file);
  const done = options.locator('#backup-done');
  await expect(done).toHaveAttribute('data-coins', String(bought - 2));
  await expect(done).toContainText(`Moved ${bought - 2} coins`);
  await expect(options.locator('#backup-download')).toHaveAttribute('download', saved.suggestedFilename());
  await screenshot(options, 'backup-moved');
  await options.close();
  // Moved: A holds nothing it can spend.
  await a.wallet.expectBalance(0);
});

test('profile B refuses the file with a wrong passphrase, then imports it', async () => {
  const options = await optionsOf(b);
  await importFile(options, 'marble otter lantern loudly');
  await expect(options.locator('#backup-import-error')).toHaveAttribute('data-code', 'wrong-passphrase');
  await expect(options.locator('#backup-import-error')).toContainText('passphrase does not open this backup file');
  await b.wallet.expectBalance(0);

  await importFile(options, PASSPHRASE);
  const imported = options.locator('#backup-imported');
  await expect(imported).toHaveAttribute('data-coins', String(bought - 2));
  await expect(imported).toHaveAttribute('data-already', 'false');
  await expect(imported).toContainText(`Imported ${bought - 2} coins`);
  await options.locator('#backup-card').scrollIntoViewIfNeeded();
  await screenshot(options, 'backup-imported');
  await options.close();
  await b.wallet.expectBalance(bought - 2);
});

test('B pays a page of the shop with an imported coin', async () => {
  await b.page.goto(shop.url + PAID_1, { waitUntil: 'commit' });
  await expect(article(b.page)).toHaveText("The lighthouse keeper's ledger");
  await b.wallet.expectPayment(shop.url + PAID_1, 'paid');
  await b.wallet.expectBalance(bought - 3);
  const coins = vendorLog(shop.dataDir).filter((c) => c.url.endsWith(PAID_1));
  expect(coins.length).toBeGreaterThanOrEqual(1);
});

test('A cannot spend what it exported, and its own file gives it nothing back', async () => {
  await a.page.goto(shop.url + PAID_1, { waitUntil: 'commit' });
  const notice = a.page.locator('#micromint-notice');
  await expect(notice).toHaveAttribute('data-kind', 'insufficient');
  await expect(notice).toContainText('Your wallet holds 0 coins');
  await expect(a.page.locator('article')).toHaveCount(0);

  const options = await optionsOf(a);
  await importFile(options, PASSPHRASE);
  await expect(options.locator('#backup-imported')).toHaveAttribute('data-coins', '0');
  await expect(options.locator('#backup-imported')).toContainText('Nothing in this file could be added');
  await options.close();
  await a.wallet.expectBalance(0);
});

test('importing the same file into B again adds nothing', async () => {
  const options = await optionsOf(b);
  await importFile(options, PASSPHRASE);
  await expect(options.locator('#backup-imported')).toHaveAttribute('data-already', 'true');
  await expect(options.locator('#backup-imported')).toHaveText('This file was imported here before: nothing was added.');
  await options.close();
  await b.wallet.expectBalance(bought - 3);
});
