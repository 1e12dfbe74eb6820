/**
 * The content script (top frame of every page, at document_idle). It tells the worker the page
 * loaded and with which HTTP status, so a 402 challenge for this tab and URL can be acted on (also
 * one the worker missed because it was not running yet), and asks again until the worker answers; shows the prompt, notice
 * or receipt the worker asks for; on a paywall, tells the page the wallet is installed and pays
 * from its pay button (paywall.ts); on the broker's pages delivers funds and returns; and relays
 * the page's fetch() 402s from the MAIN-world wrapper (and shows their receipts).
 * @module
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { isReceiptMessage, sendUntilAnswered, type Message, type Transport } from '../messages.ts';
import { watchBrokerPage } from './broker-page.ts';
import { installFetchBridge } from './fetch-bridge.ts';
import { markWalletInstalled, watchPaywall } from './paywall.ts';
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
  // The worker's receipt for a paid fetch() of this page.
  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
    if (sender.id === browser.runtime.id && isReceiptMessage(message)) showReceipt(message.body);
  });
  const url = window.location.href;
  const status = documentStatus();
  const paywall = markWalletInstalled(document, status);
  // Right after the browser starts the worker may not be there yet: ask until it answers.
  const verdict = await sendUntilAnswered(transport, 'page-loaded', { url, ...(status ? { status } : {}) });
  if (verdict.broker) watchBrokerPage(document, transport);
  if (paywall) watchPaywall(document, url, transport, verdict);
  await actOn(verdict, url, transport);
}

main().catch((e: unknown) => {
  // The worker may be restarting or the page navigating away; nothing here is worth an alert.
  console.debug('[micromint]', (e as Error)?.message ?? e);
});
