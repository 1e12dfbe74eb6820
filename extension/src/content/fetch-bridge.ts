/**
 * Relays the MAIN-world fetch wrapper's requests to the worker and its answers back, showing the
 * prompt or notice in between when the worker asks for one.
 * @module
 */
import { send, type FetchVerdict, type Transport } from '../messages.ts';
import { CONTENT_CHANNEL, PAGE_CHANNEL, type ContentToPage, type PageToContent } from '../page/bridge-protocol.ts';
import { askToPay, closePrompt, showInsufficient, showNotice } from './ui.ts';

const post = (message: ContentToPage) => window.postMessage(message, window.location.origin);

async function decide(url: string, transport: Transport): Promise<FetchVerdict | { action: 'none' }> {
  const first = await send(transport, 'fetch-402', { url });
  if (first.action === 'insufficient') showInsufficient(first);
  if (first.action === 'refuse') showNotice('MicroMint did not pay', [first.message], 'refused');
  if (first.action !== 'confirm') return first;
  if ((await askToPay(first)) === 'decline') return { action: 'none' };
  const second = await send(transport, 'fetch-402', { url, confirmed: true });
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
    if (data.kind !== 'fetch-402' || typeof data.id !== 'string' || typeof data.url !== 'string') return;
    decide(data.url, transport)
      .catch(() => ({ action: 'none' as const }))
      .then((verdict) => post({ channel: CONTENT_CHANNEL, kind: 'verdict', id: data.id, verdict }));
  });
  post({ channel: CONTENT_CHANNEL, kind: 'ready' });
}
