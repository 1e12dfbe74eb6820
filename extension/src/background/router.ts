/**
 * The worker's message handler: checks who sent a message, routes it to a service and wraps the
 * answer (or the error) as a {@link Reply}.
 * @module
 */
import {
  CONTENT_MESSAGES,
  FRAME_MESSAGES,
  isMessage,
  PAGE_MESSAGES,
  type Message,
  type MessageMap,
  type MessageType,
  type Reply,
} from '../messages.ts';
import { stripFragment } from './challenges.ts';

/** The parts of `runtime.MessageSender` the router looks at. */
export interface SenderLike {
  id?: string;
  url?: string;
  origin?: string;
  frameId?: number;
  tab?: { id?: number };
}

/** Who sent a message, once checked. */
export interface Caller {
  /** The tab of a content script (absent for the popup). */
  tabId?: number;
  /** The frame of a content script in an iframe (absent for a top frame; see FRAME_MESSAGES). */
  frameId?: number;
  /** The page's URL without fragment. */
  url: string;
  origin: string;
}

/** The handler of message type `K`. */
export type Handler<K extends MessageType> = (body: MessageMap[K]['body'], caller: Caller) => Promise<MessageMap[K]['reply']>;

/**
 * The chain messages (chain-handlers.ts builds their handlers). They are optional in
 * {@link Handlers} so the entry can wire them in its own change; until it does, the router answers
 * them `{ ok: false, code: 'unsupported-message' }`.
 */
export type ChainMessageType = 'wallet-key' | 'wallet-connected' | 'chains-list';

/** A handler per message type. */
export type Handlers = { [K in Exclude<MessageType, ChainMessageType>]: Handler<K> } & { [K in ChainMessageType]?: Handler<K> };

/** A message this worker has no handler for. */
export class UnsupportedMessageError extends Error {
  override name = 'UnsupportedMessageError';
  readonly code = 'unsupported-message';
}

/** A sender the router refuses. */
export class SenderError extends Error {
  override name = 'SenderError';
  readonly code = 'forbidden-sender';
}

/**
 * The origin of a URL; for an extension page's URL `<scheme>://<host>`, which `URL.origin` says
 * only where the scheme is known to it (Chromium, Firefox), not in general (`"null"`).
 */
export function originOf(url: string | undefined): string | undefined {
  try {
    if (!url) return undefined;
    const u = new URL(url);
    return u.origin === 'null' && /^(chrome|moz)-extension:$/.test(u.protocol) ? `${u.protocol}//${u.host}` : u.origin;
  } catch {
    return undefined;
  }
}

/**
 * Checks the sender against the message type: content messages come from a content script in a
 * tab's top frame, or for FRAME_MESSAGES in any frame (and name that frame's own URL), page
 * messages come from this extension's pages. `extensionOrigin` is the origin of those pages:
 * `chrome-extension://<id>` in Chromium, `moz-extension://<uuid of this profile>` in Firefox
 * (whose extension id is the add-on id, not the origin's host).
 */
export function checkSender(
  message: Message,
  sender: SenderLike,
  extensionId: string,
  extensionOrigin = `chrome-extension://${extensionId}`,
): Caller {
  if (sender.id !== extensionId) throw new SenderError('messages from other extensions are ignored');
  const url = sender.url ?? '';
  const origin = sender.origin ?? originOf(url) ?? '';
  if (CONTENT_MESSAGES.has(message.type)) {
    const tabId = sender.tab?.id;
    const frameId = sender.frameId;
    const inFrame = frameId !== 0 && FRAME_MESSAGES.has(message.type) && Number.isSafeInteger(frameId) && frameId! > 0;
    if (tabId === undefined || (frameId !== 0 && !inFrame) || origin === extensionOrigin || /^(chrome|moz)-extension:/.test(origin))
      throw new SenderError(`${message.type} must come from a page's content script`);
    const claimed = (message.body as { url?: unknown }).url;
    if (message.type === 'page-loaded' || message.type === 'pay-confirm' || message.type === 'pay-decline') {
      if (typeof claimed !== 'string' || stripFragment(claimed) !== stripFragment(url))
        throw new SenderError('a page may only speak for its own URL');
    }
    return { tabId, ...(inFrame ? { frameId } : {}), url: stripFragment(url), origin };
  }
  if (PAGE_MESSAGES.has(message.type)) {
    if (origin !== extensionOrigin) throw new SenderError(`${message.type} must come from the wallet's own pages`);
    return { url, origin };
  }
  throw new SenderError('unknown message');
}

/** Turns an error into a reply the UI can word. */
export function errorReply(e: unknown): Reply {
  const err = e as Error & { code?: unknown; field?: unknown };
  return {
    ok: false,
    error: err?.message ?? String(e),
    ...(typeof err?.code === 'string' ? { code: err.code } : err?.name ? { code: err.name } : {}),
    ...(typeof err?.field === 'string' ? { field: err.field } : {}),
  };
}

/**
 * Builds the `runtime.onMessage` listener. It answers every MicroMint message with a promise of a
 * {@link Reply} and ignores anything else (returns undefined).
 * @example
 * browser.runtime.onMessage.addListener(createRouter(handlers, browser.runtime.id));
 */
export function createRouter(
  handlers: Handlers | (() => Promise<Handlers>),
  extensionId: string,
  log: (m: string) => void = () => undefined,
  /** The origin of the extension's own pages (see {@link checkSender}); Chromium's by default. */
  extensionOrigin = `chrome-extension://${extensionId}`,
) {
  return (message: unknown, sender: SenderLike): Promise<Reply> | undefined => {
    if (!isMessage(message)) return undefined;
    return (async (): Promise<Reply> => {
      try {
        const caller = checkSender(message, sender, extensionId, extensionOrigin);
        const table = typeof handlers === 'function' ? await handlers() : handlers;
        const handler = table[message.type] as ((body: unknown, caller: Caller) => Promise<unknown>) | undefined;
        if (!handler) throw new UnsupportedMessageError(`${message.type} is not handled by this worker`);
        return { ok: true, value: await handler(message.body, caller) } as Reply;
      } catch (e) {
        log(`${message.type} failed: ${(e as Error)?.message ?? e}`);
        return errorReply(e);
      }
    })();
  };
}
