/**
 * Debian's Chromium with the built wallet extension, launched two ways:
 * - {@link launchWallet}: through Playwright (`launchPersistentContext`), which always starts on
 *   about:blank and only then lets a test navigate;
 * - {@link launchOnto}: as a person or `scripts/demo.sh` does, with the page to open on the command
 *   line, so the first navigation races the extension's start. Playwright refuses page URLs in
 *   `args`, so Chromium is spawned directly and Playwright attaches over CDP.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { repoRoot } from './servers.ts';

/** The built extension; `EXTENSION_DIR` points the suite at another build (e.g. an older one, to compare). */
export const extensionDir = process.env.EXTENSION_DIR ?? join(repoRoot, 'dist', 'extension');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Switches for a quiet, headless Chromium with only the wallet extension. */
export const chromiumArgs = (): string[] => [
  `--disable-extensions-except=${extensionDir}`,
  `--load-extension=${extensionDir}`,
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-quic',
  '--password-store=basic',
];

function assertBuilt(): void {
  if (!existsSync(join(extensionDir, 'manifest.json'))) throw new Error('dist/extension is missing: run `npm run build` first');
}

/** With `E2E_WORKER_LOG=1`, the wallet's service worker logs (`[micromint] ...`) go to the test's output. */
function relayWorkerLogs(context: BrowserContext): void {
  if (!process.env.E2E_WORKER_LOG) return;
  const relay = (w: { on(event: 'console', f: (m: { text(): string }) => void): unknown }) =>
    w.on('console', (m) => console.log(`[worker] ${m.text()}`));
  context.serviceWorkers().forEach(relay);
  context.on('serviceworker', relay);
}

/** Chromium through Playwright, with a persistent profile in `profileDir`. Close it with `context.close()`. */
export async function launchWallet(profileDir: string): Promise<BrowserContext> {
  assertBuilt();
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs(),
  });
  relayWorkerLogs(context);
  return context;
}

/** A Chromium started onto a URL, with Playwright attached. */
export interface LaunchedOnto {
  browser: Browser;
  context: BrowserContext;
  /** The tab Chromium opened for the URL (it may already have been paid and navigated again). */
  page: Page;
  /** Closes Chromium cleanly (the profile is written out), killing it if it does not exit. */
  close(): Promise<void>;
}

/** How long Chromium gets to print its DevTools address, and then to exit when asked. */
const START_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 15_000;

/**
 * Waits, without attaching to anything, until a tab of `origin` shows a document (DevTools lists a
 * title only once one is committed). Attaching DevTools while Chromium starts changes the start:
 * Playwright holds new targets until it has set them up, and a navigation the wallet starts again
 * meanwhile is lost to it. A person's browser has no debugger at start-up; neither does this one.
 */
async function firstDocument(endpoint: string, origin: string): Promise<void> {
  const list = `http://${new URL(endpoint).host}/json/list`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let seen: string;
  for (;;) {
    try {
      const targets = (await (await fetch(list, { signal: AbortSignal.timeout(5_000) })).json()) as {
        type: string;
        url: string;
        title: string;
      }[];
      const tab = targets.find((t) => t.type === 'page' && t.url.startsWith(origin));
      if (tab?.title) return;
      seen = targets.map((t) => `${t.type} ${t.url} [${t.title}]`).join(', ');
    } catch (e) {
      seen = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`no tab of ${origin} showed a page in ${START_TIMEOUT_MS} ms: ${seen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The tab showing a page of `origin`: Chromium opens it at start, Playwright may learn of it a little later. */
async function tabOf(context: BrowserContext, origin: string): Promise<Page> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const page = context.pages().find((p) => p.url().startsWith(origin));
    if (page) return page;
    if (Date.now() > deadline)
      throw new Error(
        `no tab of ${origin} among ${
          context
            .pages()
            .map((p) => p.url())
            .join(', ') || 'no pages'
        }`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts Chromium with `profileDir` and `url` on its command line, waits until that tab shows a
 * page (the paywall or the paid page), then attaches Playwright over CDP and finds the tab.
 * @example
 * const b = await launchOnto(profile, `${shop.url}/articles/paid.html`);
 * await expect(b.page.locator('article h1')).toHaveText('...');
 * await b.close();
 */
export async function launchOnto(profileDir: string, url: string): Promise<LaunchedOnto> {
  assertBuilt();
  const child = spawn(chromiumPath, ['--headless', `--user-data-dir=${profileDir}`, '--remote-debugging-port=0', ...chromiumArgs(), url], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  let endpoint: string;
  try {
    endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Chromium printed no DevTools address in ${START_TIMEOUT_MS} ms:\n${log}`)),
        START_TIMEOUT_MS,
      );
      child.stderr!.on('data', (d: Buffer) => {
        log += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited with ${code}:\n${log}`));
      });
    });
  } catch (e) {
    kill();
    throw e;
  }
  try {
    await firstDocument(endpoint, new URL(url).origin);
  } catch (e) {
    kill();
    throw e;
  }
  const browser = await chromium.connectOverCDP(endpoint);
  const close = async () => {
    try {
      const cdp = await browser.newBrowserCDPSession();
      await cdp.send('Browser.close').catch(() => undefined);
    } catch {
      // already gone
    }
    const timer = setTimeout(kill, EXIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const context = browser.contexts()[0]!;
    return { browser, context, page: await tabOf(context, new URL(url).origin), close };
  } catch (e) {
    await close();
    throw e;
  }
}
