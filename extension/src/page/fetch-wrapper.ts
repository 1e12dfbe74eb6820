/**
 * MAIN-world script: wraps the page's `fetch` so a same-origin 402 with a PAYMENT-REQUIRED header
 * can be paid. It asks the content script (window messages), which asks the worker; on "pay" it
 * repeats the request with the PAYMENT-SIGNATURE the worker made (or, for a payment too large for a
 * header, POSTs the payment body the worker made to the same URL) and returns that response
 * instead. Anything else returns the original 402 untouched. Self-contained: no extension APIs
 * exist in this world.
 * @module
 */
import { CONTENT_CHANNEL, PAGE_CHANNEL, type ContentToPage, type PageToContent } from './bridge-protocol.ts';

const CHALLENGE_HEADER = 'PAYMENT-REQUIRED';
const PAYMENT_HEADER = 'PAYMENT-SIGNATURE';
/** How long to wait for the content script to announce itself. */
const READY_TIMEOUT_MS = 10_000;
/** How long to wait for the wallet (and the user, when it asks). */
const ANSWER_TIMEOUT_MS = 5 * 60_000;

(() => {
  const original = window.fetch.bind(window);
  const waiting = new Map<string, (v: ContentToPage & { kind: 'verdict' }) => void>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  window.addEventListener('message', (event: MessageEvent<ContentToPage>) => {
    if (event.source !== window || event.data?.channel !== CONTENT_CHANNEL) return;
    if (event.data.kind === 'ready') markReady();
    if (event.data.kind === 'verdict') waiting.get(event.data.id)?.(event.data);
  });
  const post = (m: PageToContent) => window.postMessage(m, window.location.origin);
  post({ channel: PAGE_CHANNEL, kind: 'hello' });

  const within = <T>(p: Promise<T>, ms: number): Promise<T | undefined> =>
    Promise.race([p, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);

  type Pay = Extract<(ContentToPage & { kind: 'verdict' })['verdict'], { action: 'pay' }>;

  async function askWallet(url: string): Promise<Pay | undefined> {
    if (
      !(await within(
        ready.then(() => true),
        READY_TIMEOUT_MS,
      ))
    )
      return undefined;
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const answer = new Promise<ContentToPage & { kind: 'verdict' }>((resolve) => waiting.set(id, resolve));
    post({ channel: PAGE_CHANNEL, kind: 'fetch-402', id, url });
    const reply = await within(answer, ANSWER_TIMEOUT_MS);
    waiting.delete(id);
    return reply?.verdict.action === 'pay' ? reply.verdict : undefined;
  }

  window.fetch = async function micromintFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    // Keep an unread copy: the body of the first attempt is consumed.
    const spare = request.clone();
    const response = await original(request);
    if (response.status !== 402 || !response.headers.has(CHALLENGE_HEADER)) return response;
    if (new URL(request.url).origin !== window.location.origin) return response;
    // A payment too large for a header replaces the request's body: only a GET or HEAD has none to lose.
    const pay = await askWallet(request.url).catch(() => undefined);
    if (!pay) return response;
    if (pay.body !== undefined) {
      if (spare.method !== 'GET' && spare.method !== 'HEAD') return response;
      const headers = new Headers(spare.headers);
      headers.set('Content-Type', pay.contentType ?? 'application/x-micromint');
      return original(spare.url, {
        method: 'POST',
        headers,
        body: pay.body,
        credentials: spare.credentials,
        cache: 'no-store',
        signal: spare.signal,
      });
    }
    const headers = new Headers(spare.headers);
    headers.set(PAYMENT_HEADER, pay.header);
    return original(new Request(spare, { headers }));
  };
})();
