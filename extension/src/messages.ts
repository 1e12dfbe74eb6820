/**
 * The typed message map between the content script, the extension pages (popup, options) and the
 * background service worker. Every message is `{ type, body }`; every answer is a {@link Reply}.
 * Senders are checked by the worker: page messages only from content scripts of a top frame, broker
 * messages only from the configured broker's origin, wallet and settings messages only from the
 * extension's own pages.
 * @module
 */
import type { Settings } from './background/settings.ts';
import type { WalletSummary } from './wallet/summary.ts';

/** What the worker tells a page that just loaded (or whose user just decided). */
export type PageVerdict =
  /** Nothing to do here. `broker` tells the content script to look for funds and returns. */
  | { action: 'none'; broker: boolean }
  /** Coins are on their way: the tab is about to load the URL again with the payment. */
  | { action: 'paying'; broker: boolean; price: number; resent: boolean }
  /** Above the autopay threshold (or after a refusal): ask the user. */
  | { action: 'confirm'; broker: boolean; price: number; vendorId: string; threshold: number; balance: number; refusal?: string }
  /** The wallet cannot make enough coins for this vendor. */
  | { action: 'insufficient'; broker: boolean; price: number; vendorId: string; held: number; makeable: number }
  /** The wallet will not pay this challenge (wrong vendor, plain http, unknown scheme...). */
  | { action: 'refuse'; broker: boolean; message: string };

/** What a page's fetch() gets back when it asks to pay a 402 (MAIN world, via the content script). */
export type FetchVerdict =
  /** Retry the request with this PAYMENT-SIGNATURE value. */
  | { action: 'pay'; broker: boolean; header: string; paymentId: string; price: number; resent: boolean }
  | Exclude<PageVerdict, { action: 'paying' }>;

/** Result of storing a Funds-Withdrawn. */
export interface FundsStored {
  withdrawalId: string;
  coins: number;
  imported: boolean;
  balance: number;
}

/** Result of a return for credit. */
export interface ReturnDone {
  returned: number;
  credited: number;
  creditedMills: number;
  state: 'credited' | 'pending' | 'refused' | 'nothing';
  message?: string;
}

/** Message type -> request body and reply value. */
export interface MessageMap {
  /** content -> worker: the top frame loaded `url` (the worker acts on a 402 challenge for it). */
  'page-loaded': { body: { url: string }; reply: PageVerdict };
  /** content -> worker: the user accepted the prompt. */
  'pay-confirm': { body: { url: string }; reply: PageVerdict };
  /** content -> worker: the user declined the prompt. */
  'pay-decline': { body: { url: string }; reply: PageVerdict };
  /**
   * content -> worker: a page fetch() got a 402 for `url` (same origin as the page). The worker
   * acts only on a 402 it saw itself on the network; `confirmed` is the user's yes to a prompt.
   */
  'fetch-402': { body: { url: string; confirmed?: boolean }; reply: FetchVerdict };
  /** content (broker origin only) -> worker: a Funds-Withdrawn message embedded in the page. */
  'funds-withdrawn': { body: { text: string }; reply: FundsStored };
  /** content (broker origin only) -> worker: a Send-Expired message embedded in the page. */
  'send-expired': { body: { text: string }; reply: ReturnDone };
  /** popup -> worker. */
  'wallet-summary': { body: Record<string, never>; reply: WalletSummary & { brokerUrl: string; autopayThreshold: number } };
  /** options -> worker. */
  'settings-get': { body: Record<string, never>; reply: Settings };
  /** options -> worker. */
  'settings-set': { body: Partial<Settings>; reply: Settings };
}

/** A message type. */
export type MessageType = keyof MessageMap;

/** A message on the wire. */
export type Message<K extends MessageType = MessageType> = { type: K; body: MessageMap[K]['body'] };

/** An answer on the wire: the value, or an error with a code the UI can word. */
export type Reply<K extends MessageType = MessageType> =
  | { ok: true; value: MessageMap[K]['reply'] }
  | { ok: false; error: string; code?: string; field?: string };

/** Message types only content scripts may send. */
export const CONTENT_MESSAGES: ReadonlySet<MessageType> = new Set(['page-loaded', 'pay-confirm', 'pay-decline', 'fetch-402', 'funds-withdrawn', 'send-expired']);
/** Message types only the extension's own pages may send. */
export const PAGE_MESSAGES: ReadonlySet<MessageType> = new Set(['wallet-summary', 'settings-get', 'settings-set']);

/** True for a value shaped like a {@link Message} of a known type. */
export function isMessage(value: unknown): value is Message {
  const m = value as Message | null;
  return (
    typeof m === 'object' && m !== null && typeof m.type === 'string' &&
    (CONTENT_MESSAGES.has(m.type) || PAGE_MESSAGES.has(m.type)) &&
    typeof m.body === 'object' && m.body !== null && !Array.isArray(m.body)
  );
}

/** The thrown form of a failed {@link Reply}. */
export class ReplyError extends Error {
  override name = 'ReplyError';
  constructor(
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A function that delivers a message and resolves with the raw reply (e.g. `browser.runtime.sendMessage`). */
export type Transport = (message: Message) => Promise<unknown>;

/**
 * Sends a typed message and unwraps the reply, throwing {@link ReplyError} on `{ ok: false }`.
 * @example
 * const verdict = await send(browser.runtime.sendMessage, 'page-loaded', { url: location.href });
 */
export async function send<K extends MessageType>(transport: Transport, type: K, body: MessageMap[K]['body']): Promise<MessageMap[K]['reply']> {
  const reply = (await transport({ type, body } as Message)) as Reply<K> | undefined;
  if (!reply || typeof reply !== 'object') throw new ReplyError('the wallet did not answer');
  if (!reply.ok) throw new ReplyError(reply.error, reply.code, reply.field);
  return reply.value;
}
