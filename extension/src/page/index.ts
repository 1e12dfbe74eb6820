/**
 * The MAIN-world script (`page-fetch.js`, at `document_start` in every frame, before the page's
 * scripts): wraps `fetch` and `XMLHttpRequest` so that 402s of the page's requests are paid, and
 * defines the page API `window.micromint`. It talks to the content script through window messages
 * (wallet-channel.ts); no extension API exists in this world.
 * @module
 */
import { wrapFetch } from './fetch-wrapper.ts';
import { installPageApi } from './page-api.ts';
import { openWalletChannel } from './wallet-channel.ts';
import { wrapXhr } from './xhr-wrapper.ts';

(() => {
  const original = window.fetch.bind(window);
  const channel = openWalletChannel();
  const paying = wrapFetch(channel);
  wrapXhr(channel);
  installPageApi(channel, paying, original);
})();
