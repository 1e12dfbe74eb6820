/**
 * The content script (top frame of every page, at document_idle). It tells the worker the page
 * loaded, so a 402 challenge seen for this tab and URL can be acted on; shows the prompt or notice
 * the worker asks for; on the broker's pages delivers funds and returns; and relays the page's
 * fetch() 402s from the MAIN-world wrapper.
 * @module
 */
import browser from 'webextension-polyfill';
import { send, type Message, type Transport } from '../messages.ts';
import { watchBrokerPage } from './broker-page.ts';
import { installFetchBridge } from './fetch-bridge.ts';
import { actOn } from './verdicts.ts';

const transport: Transport = (message: Message) => browser.runtime.sendMessage(message);

async function main(): Promise<void> {
  installFetchBridge(transport);
  const url = window.location.href;
  const verdict = await send(transport, 'page-loaded', { url });
  if (verdict.broker) watchBrokerPage(document, transport);
  await actOn(verdict, url, transport);
}

main().catch((e: unknown) => {
  // The worker may be restarting or the page navigating away; nothing here is worth an alert.
  console.debug('[micromint]', (e as Error)?.message ?? e);
});
