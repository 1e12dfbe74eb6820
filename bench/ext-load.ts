/**
 * The wallet's paid path in the real browser: Debian's Chromium with the built extension
 * (dist/extension), the real broker and the real demo shop (e2e/servers.ts), the shop run with an
 * access window of 0 so that every load of a paid page is a new payment.
 *
 * A load is timed from `page.goto` to the `load` event of the document that shows the article: for
 * the paid page that is the document of the wallet's retry (402, payment, retry, article), for the
 * free page its only document. Loads of the two alternate, after a few of each to warm up, each
 * after a pause in which the wallet finishes what the last page gave it to do (a reader does not
 * click within a millisecond of a page's load either), and the medians are compared.
 * @module
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BrowserContext, Frame, Page, Response } from '@playwright/test';
import { PAYMENT_RESPONSE_HEADER, decodeSettlementResponse } from '@micromint/shared';
import { chromiumPath, extensionDir, launchWallet } from '../e2e/browser.ts';
import { buyCoins, buySets, setBroker, walletWorker } from '../e2e/fixtures.ts';
import { startBroker, startShop, tempDir, type Running } from '../e2e/servers.ts';

/** What one run measured, in milliseconds. */
export interface ExtLoad {
  /** Median load of the paid page (a new 1-coin payment each). */
  paidMs: number;
  /** Median load of the free page. */
  freeMs: number;
  /** `paidMs / freeMs`. */
  ratio: number;
  /** Loads of each page measured. */
  loads: number;
  paid: number[];
  free: number[];
}

/** The shop's free article and its 1-coin article (under the wallet's default autopay threshold of 5). */
const FREE = '/articles/a-short-history-of-the-mill.html';
const PAID = '/articles/the-lighthouse-keepers-ledger.html';
const WARMUP = 3;
const LOAD_TIMEOUT_MS = 60_000;
const PAUSE_MS = 300;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * Loads `url` in `page` and resolves with the milliseconds until the `load` event of the document
 * answered 200 for it (the paid page's retry, or the free page itself). `paid`: that answer must
 * carry a successful PAYMENT-RESPONSE (the wallet paid), else the load throws.
 */
async function timeLoad(page: Page, url: string, paid: boolean): Promise<number> {
  let final: Response | undefined;
  let committed = false;
  let done!: (ms: number) => void;
  const loaded = new Promise<number>((resolve) => (done = resolve));
  const onResponse = (r: Response) => {
    if (r.url() === url && r.request().isNavigationRequest() && r.frame() === page.mainFrame() && r.status() === 200) final = r;
  };
  const onNavigated = (f: Frame) => {
    if (f === page.mainFrame() && final && f.url() === url) committed = true;
  };
  const onLoad = () => {
    if (committed) done(performance.now());
  };
  page.on('response', onResponse);
  page.on('framenavigated', onNavigated);
  page.on('load', onLoad);
  let timer: NodeJS.Timeout | undefined;
  try {
    const start = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${url} did not load in ${LOAD_TIMEOUT_MS} ms (shows ${page.url()})`)), LOAD_TIMEOUT_MS);
    });
    const end = await Promise.race([loaded, late]);
    if (paid) {
      const receipt = final && (await final.headerValue(PAYMENT_RESPONSE_HEADER));
      if (!receipt || !decodeSettlementResponse(receipt).success) throw new Error(`the wallet did not pay ${url}`);
    }
    return end - start;
  } finally {
    clearTimeout(timer);
    page.off('response', onResponse);
    page.off('framenavigated', onNavigated);
    page.off('load', onLoad);
  }
}

/** Buys coins until the wallet holds at least `coins`. */
async function fundWallet(context: BrowserContext, brokerUrl: string, coins: number): Promise<void> {
  const page = await context.newPage();
  let held = await buyCoins(page, brokerUrl, 'bench-reader@example.com');
  while (held < coins) held += await buySets(page);
  await page.close();
}

/**
 * Measures `loads` loads of each page (default 20). Resolves with null, saying why, when Chromium
 * or the built extension is missing or the browser part fails (the rest of the bench goes on).
 * @example
 * const r = await measureExtLoad();
 * if (r) console.log(`${r.ratio.toFixed(2)}x (${r.paidMs} vs ${r.freeMs} ms)`);
 */
export async function measureExtLoad(loads = 20, log: (m: string) => void = console.log): Promise<ExtLoad | null> {
  if (!existsSync(chromiumPath) || !existsSync(join(extensionDir, 'manifest.json'))) {
    log(`\nExtension load bench skipped: it needs ${chromiumPath} and a build in ${extensionDir} (npm run build).`);
    return null;
  }
  try {
    return await measure(loads);
  } catch (e) {
    log(`\nExtension load bench failed: ${(e as Error).message}`);
    return null;
  }
}

/** The table rows of a run: each page's median load and its ratio to the free page. */
export const extLoadRows = (r: ExtLoad): string[][] => [
  ['free page', `${r.freeMs.toFixed(1)} ms`, '1.00x'],
  ['paid page, a new 1-coin payment each (402, payment, retry)', `${r.paidMs.toFixed(1)} ms`, `${r.ratio.toFixed(2)}x`],
];

/** The figures of a run, as bench/results.json keeps them. */
export const extLoadFigures = (r: ExtLoad) => ({ ext_paid_vs_free_load: r.ratio, ext_paid_load_ms: r.paidMs, ext_free_load_ms: r.freeMs });

async function measure(loads: number): Promise<ExtLoad> {
  const servers: Running[] = [];
  const profile = tempDir('bench-profile');
  let context: BrowserContext | undefined;
  try {
    const broker = await startBroker();
    servers.push(broker);
    const shop = await startShop(broker.url, { accessWindowSeconds: 0 });
    servers.push(shop);
    context = await launchWallet(profile);
    const extensionId = new URL((await walletWorker(context)).url()).host;
    await setBroker(context, extensionId, broker.url);
    await fundWallet(context, broker.url, loads + WARMUP + 2);
    const page = await context.newPage();
    const paid: number[] = [];
    const free: number[] = [];
    for (let i = 0; i < WARMUP + loads; i++) {
      // Alternate which goes first, so neither always follows the other.
      const order = i % 2 ? [false, true] : [true, false];
      for (const isPaid of order) {
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        const ms = await timeLoad(page, shop.url + (isPaid ? PAID : FREE), isPaid);
        if (i >= WARMUP) (isPaid ? paid : free).push(ms);
      }
    }
    const paidMs = median(paid);
    const freeMs = median(free);
    return { paidMs, freeMs, ratio: paidMs / freeMs, loads, paid, free };
  } finally {
    await context?.close();
    await Promise.all(servers.map((s) => s.stop()));
    for (const dir of [profile, ...servers.map((s) => s.dataDir)]) rmSync(dir, { recursive: true, force: true });
  }
}

// `tsx bench/ext-load.ts`: this measurement alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await measureExtLoad(Number(process.env.EXT_LOADS ?? 20));
  if (r)
    console.log(
      `paid ${r.paidMs.toFixed(1)} ms, free ${r.freeMs.toFixed(1)} ms: ${r.ratio.toFixed(2)}x\n` +
        `paid: ${r.paid.map((x) => x.toFixed(0)).join(' ')}\nfree: ${r.free.map((x) => x.toFixed(0)).join(' ')}`,
    );
}
