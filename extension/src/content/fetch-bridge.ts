/**
 * Relays the MAIN-world script's questions to the worker and its answers back: the fetch and XHR
 * wrappers' 402s (showing the prompt or notice in between when the worker asks for one), and the
 * page API's prices (only for the page's own origin, at most {@link PRICES_PER_MINUTE} a minute).
 * @module
 */
import { send, type FetchVerdict, type PagePrice, type Transport } from '../messages.ts';
import { CONTENT_CHANNEL, PAGE_CHANNEL, type ContentToPage, type PageToContent } from '../page/bridge-protocol.ts';
import { askToPay, budgetAllow, closePrompt, showInsufficient, showNotice } from './ui.ts';

const post = (message: ContentToPage) => window.postMessage(message, window.location.origin);

/** Page API prices a document may ask a minute. */
export const PRICES_PER_MINUTE = 60;
const asked: number[] = [];

/** The page API's `micromint.price`: only a URL of the page's own origin, and only so often. */
async function price(url: string, transport: Transport): Promise<PagePrice> {
  const now = Date.now();
  while (asked.length && now - asked[0]! > 60_000) asked.shift();
  let own: string;
  try {
    own = new URL(url, document.baseURI).href;
  } catch {
    return { url: url.slice(0, 2048), none: 'not a URL' };
  }
  if (new URL(own).origin !== window.location.origin) return { url: own, none: 'the page API prices only URLs of the page’s own site' };
  if (asked.length >= PRICES_PER_MINUTE) return { url: own, none: 'too many prices asked; try again in a minute' };
  asked.push(now);
  return send(transport, 'page-price', { url: own });
}

async function decide(url: string, transport: Transport): Promise<FetchVerdict | { action: 'none' }> {
  const first = await send(transport, 'fetch-402', { url });
  if (first.action === 'insufficient') showInsufficient(first);
  if (first.action === 'refuse') showNotice('MicroMint did not pay', [first.message], 'refused');
  if (first.action !== 'confirm') return first;
  const answer = await askToPay(first);
  if (answer === 'decline') return { action: 'none' };
  // "Allow … up to": the budget is set in the payment's own transaction.
  const allow = answer === 'allow' ? budgetAllow(first) : undefined;
  const second = await send(transport, 'fetch-402', { url, confirmed: true, ...(allow ? { allow } : {}) });
  closePrompt();
  if (second.action === 'insufficient') showInsufficient(second);
  return second.action === 'confirm' ? { action: 'none' } : second;
}

/** Starts listening for the wrapper and tells it the wallet is there. */
export function installFetchBridge(transport: Transport): void {
  window.addEventListener('message', (event: MessageEvent<PageToContent>) => {
    if (event.source !== window || event.data?.channel !== PAGE_CHANNEL) return;
    const data = event.data;
    if (data.kind === 'hello') {
      post({ channel: CONTENT_CHANNEL, kind: 'ready' });
      return;
    }
    if (typeof data.id !== 'string' || typeof data.url !== 'string') return;
    if (data.kind === 'price') {
      price(data.url, transport)
        .catch((e: unknown) => ({ url: data.url.slice(0, 2048), none: (e as Error)?.message ?? 'the wallet did not answer' }))
        .then((p) => post({ channel: CONTENT_CHANNEL, kind: 'price', id: data.id, price: p }));
      return;
    }
    if (data.kind !== 'fetch-402') return;
    decide(data.url, transport)
      .catch(() => ({ action: 'none' as const }))
      .then((verdict) => post({ channel: CONTENT_CHANNEL, kind: 'verdict', id: data.id, verdict }));
  });
  post({ channel: CONTENT_CHANNEL, kind: 'ready' });
}
