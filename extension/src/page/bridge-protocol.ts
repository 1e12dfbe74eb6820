/**
 * The window-message protocol between the MAIN-world script (the fetch and XHR wrappers, the page
 * API) and the content script. Anything on this channel may come from the page itself: the content
 * script forwards only a URL, and the worker decides from what it saw on the network.
 * @module
 */
import type { FetchVerdict, PagePrice } from '../messages.ts';

/** Channel tag of messages from the MAIN-world script. */
export const PAGE_CHANNEL = 'micromint/page';
/** Channel tag of messages from the content script. */
export const CONTENT_CHANNEL = 'micromint/content';

/** MAIN world -> content script: a request of the page got a 402 (`fetch-402`), or the page API asks a price. */
export type PageToContent =
  | { channel: typeof PAGE_CHANNEL; kind: 'hello' }
  | { channel: typeof PAGE_CHANNEL; kind: 'fetch-402'; id: string; url: string }
  | { channel: typeof PAGE_CHANNEL; kind: 'price'; id: string; url: string };

/** Content script -> MAIN world. */
export type ContentToPage =
  | { channel: typeof CONTENT_CHANNEL; kind: 'ready' }
  | { channel: typeof CONTENT_CHANNEL; kind: 'verdict'; id: string; verdict: FetchVerdict | { action: 'none' } }
  | { channel: typeof CONTENT_CHANNEL; kind: 'price'; id: string; price: PagePrice };

/** The event a page gets when the wallet paid one of its requests (`window.addEventListener('micromint-paid', ...)`). */
export const PAID_EVENT = 'micromint-paid';
