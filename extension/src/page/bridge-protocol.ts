/**
 * The window-message protocol between the MAIN-world fetch wrapper and the content script.
 * Anything on this channel may come from the page itself: the content script forwards only a URL,
 * and the worker decides from what it saw on the network.
 * @module
 */
import type { FetchVerdict } from '../messages.ts';

/** Channel tag of messages from the MAIN-world wrapper. */
export const PAGE_CHANNEL = 'micromint/page';
/** Channel tag of messages from the content script. */
export const CONTENT_CHANNEL = 'micromint/content';

/** MAIN world -> content script. */
export type PageToContent =
  { channel: typeof PAGE_CHANNEL; kind: 'hello' } | { channel: typeof PAGE_CHANNEL; kind: 'fetch-402'; id: string; url: string };

/** Content script -> MAIN world. */
export type ContentToPage =
  | { channel: typeof CONTENT_CHANNEL; kind: 'ready' }
  | { channel: typeof CONTENT_CHANNEL; kind: 'verdict'; id: string; verdict: FetchVerdict | { action: 'none' } };
