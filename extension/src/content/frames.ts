/**
 * The content script inside an iframe: a paid page in a frame is paid from its own frame (the
 * worker cannot navigate a frame). Once the worker has installed the rule that adds the payment,
 * it tells this frame to load its URL again; only its own extension is listened to, and only for
 * the URL the frame shows.
 * @module
 */
import browser, { type Runtime } from 'webextension-polyfill';
import { isFrameReloadMessage } from '../messages.ts';

/**
 * True when this document is inside a frame (not the tab's top page).
 * @example
 * if (inFrame()) listenForFrameReload();
 */
export function inFrame(win: Window = window): boolean {
  try {
    return win.self !== win.top;
  } catch {
    return true; // a cross-origin parent: certainly a frame
  }
}

/** The URL without its fragment. */
const withoutFragment = (url: string): string => url.split('#', 1)[0]!;

/**
 * Listens for the worker's `frame-reload` and loads the frame's URL again.
 * @example
 * if (inFrame()) listenForFrameReload();
 */
export function listenForFrameReload(go: (url: string) => void = (u) => window.location.replace(u)): void {
  browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
    if (sender.id !== browser.runtime.id || !isFrameReloadMessage(message)) return;
    if (withoutFragment(message.body.url) === withoutFragment(window.location.href)) go(message.body.url);
  });
}
