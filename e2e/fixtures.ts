/**
 * Playwright fixtures: a real broker (minted with the fast `test` parameters) and the real demo
 * shop on free loopback ports with fresh databases, and Debian's Chromium with the built
 * extension loaded from dist/extension. All are shared by the tests of one worker, in order.
 */
import { test as base, chromium, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, repoRoot, startServer, tempDir, type Running } from './servers.ts';

export const extensionDir = join(repoRoot, 'dist', 'extension');
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
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const dataDir = tempDir('broker');
      const broker = await startServer(
        'broker',
        'broker/src/cli.ts',
        ['serve', '--port', String(port), '--host', '127.0.0.1', '--db', join(dataDir, 'broker.db'), '--public-url', url, '--mint', 'test'],
        url,
        '/api/epochs/current',
        dataDir,
      );
      await use(broker);
      await broker.stop();
    },
    { scope: 'worker', timeout: 150_000 },
  ],
  shop: [
    async ({ broker }, use) => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const dataDir = tempDir('shop');
      const shop = await startServer(
        'shop',
        'middleware/examples/shop/server.ts',
        ['--port', String(port), '--host', '127.0.0.1', '--broker', broker.url, '--data', dataDir],
        url,
        '/',
        dataDir,
      );
      await use(shop);
      await shop.stop();
    },
    { scope: 'worker', timeout: 150_000 },
  ],
  ctx: [
    async ({}, use) => {
      if (!existsSync(join(extensionDir, 'manifest.json'))) throw new Error('dist/extension is missing: run `npm run build` first');
      const context = await chromium.launchPersistentContext(tempDir('profile'), {
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        headless: true,
        args: [
          `--disable-extensions-except=${extensionDir}`,
          `--load-extension=${extensionDir}`,
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          '--disable-quic',
        ],
      });
      await use(context);
      await context.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  serviceWorker: [
    async ({ ctx }, use) => {
      const worker = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker'));
      await use(worker);
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

/** Saves a full-page screenshot under e2e/output/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });
}
