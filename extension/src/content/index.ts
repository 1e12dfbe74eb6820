/**
 * The content script (every frame of every page, at document_idle). It tells the worker the page
 * loaded and with which HTTP status, so a 402 challenge for this tab and URL can be acted on (also
 * one the worker missed because it was not running yet), and asks again until the worker answers; shows the prompt, notice
 * or receipt the worker asks for; on a paywall, tells the page the wallet is installed and pays
 * from its pay button (paywall.ts); on the broker's pages delivers funds and returns; relays
 * the page's fetch() and XHR 402s and the page API from the MAIN-world script (and shows their
 * receipts); shows price hints on the top page's links; and inside a frame, loads the frame again
 * when its payment is ready (frames.ts).
 * @module
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { isReceiptMessage, sendUntilAnswered, type Message, type Transport } from '../messages.ts';
import { watchBrokerPage } from './broker-page.ts';
import { installFetchBridge } from './fetch-bridge.ts';
import { inFrame, listenForFrameReload } from './frames.ts';
import { markWalletInstalled, watchPaywall } from './paywall.ts';
import { showPriceHints } from './price-hints.ts';
import { showReceipt } from './receipt.ts';
import { actOn } from './verdicts.ts';

const transport: Transport = (message: Message) => browser.runtime.sendMessage(message);

/** The HTTP status of this document (Navigation Timing), when the browser tells. */
function documentStatus(): number | undefined {
  const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
  return nav && nav.responseStatus > 0 ? nav.responseStatus : undefined;
}

async function main(): Promise<void> {
  installFetchBridge(transport);
  // Requests (issue 10): a paid page in a frame is loaded again from its frame; receipts and the
  // broker's pages are the top frame's.
  const frame = inFrame();
  if (frame) listenForFrameReload();
  // The worker's receipt for a paid fetch() of this page.
  else
    browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
      if (sender.id === browser.runtime.id && isReceiptMessage(message)) showReceipt(message.body);
    });
  const url = window.location.href;
  const status = documentStatus();
  const paywall = markWalletInstalled(document, status);
  // Right after the browser starts the worker may not be there yet: ask until it answers.
  const verdict = await sendUntilAnswered(transport, 'page-loaded', { url, ...(status ? { status } : {}) });
  if (verdict.broker && !frame) watchBrokerPage(document, transport);
  if (paywall) watchPaywall(document, url, transport, verdict);
  // Prices on links, before the click (requests, issue 10): the top page's links, not on a 402 page.
  if (!frame && status !== 402) void showPriceHints(document, transport).catch(() => undefined);
  await actOn(verdict, url, transport);
}

main().catch((e: unknown) => {
  // The worker may be restarting or the page navigating away; nothing here is worth an alert.
  console.debug('[micromint]', (e as Error)?.message ?? e);
});
