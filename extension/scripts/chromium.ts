/**
 * Launching headless Chromium with the built wallet loaded, for the verification scripts
 * (flags from shared/design/platform.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';

/** Where `vite build` puts the extension. */
export const DIST = resolve(import.meta.dirname, '../../dist/extension');

/** A browser with the wallet, and helpers to look at it. */
export interface WalletBrowser {
  ctx: BrowserContext;
  id: string;
  workerUrl: string;
  /** Console errors and page errors of the worker and the extension pages. */
  errors: string[];
  /** Opens the popup, reads balance and payments, optionally screenshots it. */
  popup(shot?: string): Promise<{ balance: number; payments: { url: string; status: string }[] }>;
  /** Stops the service worker (as Chromium does when it idles); the next event starts it again. */
  stopWorker(): Promise<void>;
  /** Sets options through the options page. */
  configure(o: { brokerUrl?: string; threshold?: number }): Promise<void>;
  close(): Promise<void>;
}

/** Starts Chromium with the wallet and waits for its service worker. */
export async function launchWallet(dist = DIST): Promise<WalletBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'micromint-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      `--disable-extensions-except=${dist}`,
      `--load-extension=${dist}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const errors: string[] = [];
  const worker = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));
  worker.on('console', (m) => m.type() === 'error' && errors.push(`worker: ${m.text()}`));
  const id = new URL(worker.url()).host;
  const watch = (page: Page, name: string) => {
    page.on('console', (m) => m.type() === 'error' && errors.push(`${name}: ${m.text()}`));
    page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
  };
  return {
    ctx,
    id,
    workerUrl: worker.url(),
    errors,
    async popup(shot) {
      const page = await ctx.newPage();
      watch(page, 'popup');
      await page.setViewportSize({ width: 380, height: 640 });
      await page.goto(`chrome-extension://${id}/popup.html`);
      await page.waitForFunction(() => !document.getElementById('balance')?.hasAttribute('data-loading'));
      const balance = Number(await page.textContent('#balance'));
      const payments = await page.$$eval('#payments li', (lis) => lis.map((li) => ({ url: li.getAttribute('data-url')!, status: li.getAttribute('data-status')! })));
      if (shot) await page.screenshot({ path: shot, fullPage: true });
      await page.close();
      return { balance, payments };
    },
    async stopWorker() {
      const page = await ctx.newPage();
      const cdp = await ctx.newCDPSession(page);
      const { targetInfos } = await cdp.send('Target.getTargets');
      for (const t of targetInfos) if (t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${id}/`)) await cdp.send('Target.closeTarget', { targetId: t.targetId });
      await cdp.detach();
      await page.close();
    },
    async configure(o) {
      const page = await ctx.newPage();
      watch(page, 'options');
      await page.goto(`chrome-extension://${id}/options.html`);
      await page.waitForFunction(() => (document.getElementById('brokerUrl') as HTMLInputElement).value !== '');
      if (o.brokerUrl !== undefined) await page.fill('#brokerUrl', o.brokerUrl);
      if (o.threshold !== undefined) await page.fill('#threshold', String(o.threshold));
      await page.click('#save');
      await page.waitForFunction(() => document.getElementById('saved')?.textContent === 'Saved');
      await page.close();
    },
    async close() {
      await ctx.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The text of an open shadow root of a wallet element in a page, or null when absent. */
export const shadowText = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)?.shadowRoot?.textContent ?? null, id);

/** Clicks a button inside a wallet element's shadow root. */
export const clickInShadow = (page: Page, id: string, action: string) =>
  page.evaluate(
    ([i, a]) => (document.getElementById(i!)!.shadowRoot!.querySelector(`[data-action="${a}"]`) as HTMLElement).click(),
    [id, action] as const,
  );
